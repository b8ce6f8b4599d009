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
local n_order = #order
local serving = nil  -- phase held for an emergency vehicle, or nil
local clear_at = nil -- when the served approach last saw its vehicle, s
local preemptions = 0
local read, now = read, now -- locals: a call to either is then no look-up in the globals

function step()
  -- the phase of the first detector (in param order) that sees an emergency
  -- vehicle, or nil (a plain loop in step itself: it runs every second on
  -- every light, so it is kept short; the clock is read only when needed)
  local want = nil
  for i = 1, n_order do
    local d = order[i]
    local v, _, q = read(d)
    if v and v > 0 and q ~= 'bad' then
      want = phase_of[d]
      break
    end
  end
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
