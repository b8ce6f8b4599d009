-- Max-pressure signal control (Varaiya 2013, Transp. Res. C 36:177): every
-- slot seconds the light serves the green phase whose movements carry the
-- largest pressure, the sum over its movements of the queue on the incoming
-- lane minus the queue on the outgoing lane (equal saturation flows); ties
-- keep the current phase. Queues come from queue detectors (vehicles on a
-- lane); the phase -> movement map is given in params, since a controller
-- never reads the network.
-- Params: signal (actuator), phases ("0 2"), in_<p> and out_<p> (space-
-- separated queue detectors of phase p's movements, paired by position),
-- slot (s, 5: the decision period and shortest green), yellow (s, 3).
-- Device API only: deployable unchanged on a field controller.
local function words(s)
  local out = {}
  for w in tostring(s or ''):gmatch('%S+') do out[#out + 1] = w end
  return out
end

local signal = param('signal')
local slot, yellow = param('slot') or 5, param('yellow') or 3
local phases = {} -- { index =, ins = group, outs = group }
for i, p in ipairs(words(param('phases'))) do
  local ins, outs = words(param('in_' .. p)), words(param('out_' .. p))
  while #outs > #ins do outs[#outs] = nil end -- an outgoing queue counts only paired with an incoming one
  phases[i] = { index = tonumber(p), ins = group(ins), outs = group(outs) }
end
local cur = 1     -- position of the green being served
local decide_at = 0

-- The sum of incoming minus outgoing queues (readings flagged bad count as
-- empty), each group read in one call.
local function pressure(ph)
  return sum(ph.ins) - sum(ph.outs)
end

function init()
  command(signal, phases[cur].index)
end

function step()
  local t = now()
  if t < decide_at then return wake_at(decide_at) end
  local best, best_p = cur, pressure(phases[cur])
  for i, ph in ipairs(phases) do
    local p = pressure(ph)
    if p > best_p then best, best_p = i, p end
  end
  if best ~= cur then
    cur = best
    command(signal, phases[cur].index)
    decide_at = t + yellow + slot
  else
    decide_at = t + slot
  end
  wake_at(decide_at) -- the periods before the next decision would return at once: they need not run
end
