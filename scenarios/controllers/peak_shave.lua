-- Battery peak shaving: discharge what the feeder draws above limit_kw,
-- charge what it draws below floor_kw, both within power_kw.
-- Params: sensor (feeder power, kW), battery (actuator), limit_kw, floor_kw, power_kw.
-- The meter sees the feeder net of the battery: the load is the reading plus
-- the last setpoint. Twin of peak_shave.c: the same commands, in Lua.
local sensor, battery = param('sensor'), param('battery')
local limit, floor, power = param('limit_kw') or 0, param('floor_kw') or 0, param('power_kw') or 0
local last = 0 -- last acknowledged setpoint (kW)

function step()
  local p, _, q = read(sensor)
  if not p or q == 'bad' then return end
  p = p + last
  local set = 0
  if p > limit then
    set = math.min(p - limit, power)
  elseif p < floor then
    set = -math.min(floor - p, power)
  end
  if command(battery, set) then last = set end
end
