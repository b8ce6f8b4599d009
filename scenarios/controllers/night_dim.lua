-- Streetlights that dim when the street is empty: the loops' vehicle counts
-- over the last `window_s` seconds decide; fewer than `quiet_veh` and the
-- lights go to `low` (0..1), else full on. Written only against the device
-- API, so the same file runs in the simulation and with citylab-agent.
-- Params: lights (actuator), window_s, quiet_veh, low.
local lights = param('lights')
local window, quiet, low = param('window_s') or 900, param('quiet_veh') or 20, param('low') or 0.3
local counts = {} -- {measured_s, vehicles} of the readings inside the window

subscribe('loop.*/count', function(id, value, measured_s, quality)
  if quality ~= 'bad' then counts[#counts + 1] = { measured_s, value } end
end)

function step()
  local t, kept, sum = now(), {}, 0
  for _, c in ipairs(counts) do
    if c[1] > t - window then
      kept[#kept + 1] = c
      sum = sum + c[2]
    end
  end
  counts = kept
  local ok, why = command(lights, sum < quiet and low or 1.0)
  if not ok then log('refused', why) end
end
