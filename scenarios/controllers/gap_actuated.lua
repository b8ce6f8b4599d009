-- Gap-actuated signal control (the NEMA/HCM "fully actuated" logic, one ring):
-- each green lasts at least min_green, is extended while its loop detectors
-- count vehicles with headways shorter than gap, and ends at max_green or on
-- a gap-out, but only when another phase has a call (a vehicle counted on
-- one of its detectors since its last green); with no call it rests in green.
-- Params: signal (actuator), phases ("0 2": the green phase indices served
-- in this order), det_<p> (space-separated loop detectors, count, of phase
-- p's approaches), min_green (s, 5), max_green (s, 50), gap (s, 3),
-- yellow (s, 3: the clearance the road inserts before a commanded green).
-- Device API only: deployable unchanged on a field controller.
local function words(s)
  local out = {}
  for w in tostring(s or ''):gmatch('%S+') do out[#out + 1] = w end
  return out
end

local signal = param('signal')
local min_green, max_green = param('min_green') or 5, param('max_green') or 50
local gap, yellow = param('gap') or 3, param('yellow') or 3
local phases, phase_of = {}, {} -- green phase indices; detector name -> position in phases
for i, p in ipairs(words(param('phases'))) do
  phases[i] = tonumber(p)
  for _, d in ipairs(words(param('det_' .. p))) do phase_of[d] = i end
end
local cur = 1          -- position of the green being served
local green_at = 0     -- when it turned (or turns) green, s
local last_count = {}  -- per position: time a detector last counted a vehicle, s
local call = {}        -- per position: a vehicle waits for this green

function init()
  command(signal, phases[cur])
  subscribe('*', function(id, value)
    local i = phase_of[id:match('^(.*)/') or id]
    if i and value > 0 then
      last_count[i] = now()
      if i ~= cur then call[i] = true end
    end
  end)
end

-- The next position with a call after the current one, or nil.
local function next_call()
  for k = 1, #phases - 1 do
    local i = (cur + k - 1) % #phases + 1
    if call[i] then return i end
  end
  return nil
end

function step()
  local t = now()
  local green = t - green_at
  if green < min_green then return end
  local gapped_out = t - (last_count[cur] or -1e9) >= gap
  if not (gapped_out or green >= max_green) then return end
  local i = next_call()
  if not i then return end -- rest in green
  cur, call[i] = i, false
  green_at = t + yellow
  command(signal, phases[cur])
end
