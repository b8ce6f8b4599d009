-- Emergency-vehicle pre-emption: when an emergency detector (a priority-
-- request receiver on an approach lane) reports an emergency vehicle, the
-- light is driven to the green phase serving that approach and held while
-- the vehicle is detected and `hold` seconds after; then it is released to
-- its own plan (command -1). The first approach to call wins until released.
-- Params: signal (actuator), phases ("0 2"), det_<p> (space-separated
-- emergency detectors of phase p's approaches), hold (s, 5).
-- Device API only: deployable unchanged on a field controller.
local function words(s)
  local out = {}
  for w in tostring(s or ''):gmatch('%S+') do out[#out + 1] = w end
  return out
end

local signal = param('signal')
local hold = param('hold') or 5
local phase_of, order = {}, {} -- detector name -> green phase index; detectors in param order
for _, p in ipairs(words(param('phases'))) do
  for _, d in ipairs(words(param('det_' .. p))) do
    phase_of[d] = tonumber(p)
    order[#order + 1] = d
  end
end
local phase_at = {} -- the same by position in order
for i, d in ipairs(order) do phase_at[i] = phase_of[d] end
local dets = group(order) -- one call per period looks at them all
local serving = nil  -- phase held for an emergency vehicle, or nil
local clear_at = nil -- when the served approach last saw its vehicle, s
local preemptions = 0
local first, now, wake_on = first, now, wake_on -- locals: a call is then no look-up in the globals

function step()
  -- the phase of the first detector (in param order) whose last reading,
  -- not flagged bad, sees an emergency vehicle (count > 0), or nil; it runs
  -- every second on every light, so it is kept short: one API call, and the
  -- clock is read only when needed; in the usual period (no emergency
  -- vehicle, no light held) it returns at once, and says so with wake_on:
  -- until a detector sees one, the test of first(dets) runs without Lua
  local i = first(dets)
  if not (i or serving) then return wake_on(dets) end
  local want = i and phase_at[i]
  if serving then
    local t = now()
    if want == serving then clear_at = t end
    if t - clear_at >= hold then
      serving = nil
      log('released to the plan')
      command(signal, -1)
    end
  elseif want then
    serving, clear_at = want, now()
    preemptions = preemptions + 1
    log('pre-empting for phase', want, '#', preemptions)
    command(signal, want)
  end
end
