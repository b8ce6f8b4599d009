-- Adaptive streetlights: full on while presence is sensed, dimmed to `dim`
-- once no sensor has seen anyone for `hold` s.
-- Params: lights (actuator), sensors ("cam.1 cam.2 ...": counts of vehicles
-- or people in view, any quantity; a value > 0 is presence), dim (0..1,
-- default 0.3), hold (s, default 60).
-- A dead camera sends nothing: when all go quiet for the attachment's
-- stale_s, the host puts the lights back to their safe default (full on).
local lights = param('lights')
local dim, hold = param('dim') or 0.3, param('hold') or 60
local sensors = {}
for s in string.gmatch(param('sensors') or '', '%S+') do sensors[#sensors + 1] = s end
local last_seen = -1e300 -- measured time of the last presence (s)
local level = nil        -- last acknowledged level

function step()
  for _, s in ipairs(sensors) do
    local v, t, q = read(s)
    if v and q ~= 'bad' and v > 0 and t > last_seen then last_seen = t end
  end
  local want = now() - last_seen <= hold and 1 or dim
  if want ~= level and command(lights, want) then level = want end
end
