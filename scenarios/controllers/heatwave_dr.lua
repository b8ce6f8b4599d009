-- Heat-wave demand response on building cooling: on a hot day (the
-- thermometer has read at least trigger_c since midnight) pre-cool before
-- the peak, while the feeder has headroom, then let the buildings warm a
-- little through the peak: thermostat offsets sent to `load` actuators.
-- Params: loads ("dr.1 dr.2 ..."), thermo (temperature sensor), feeder
-- (feeder power sensor, kW), trigger_c (30), precool_from, peak_from,
-- peak_to (hours of the day: 8, 11, 18), precool_c (-2), curtail_c (3),
-- precool_below_kw (pre-cool only while the feeder draws less), tz_h
-- (hours to add to now() for local time: 0 in citylab, 9 for Seoul on UTC).
local loads = {}
for s in string.gmatch(param('loads') or '', '%S+') do loads[#loads + 1] = s end
local thermo, feeder = param('thermo'), param('feeder')
local trigger = param('trigger_c') or 30
local precool_from, peak_from, peak_to = param('precool_from') or 8, param('peak_from') or 11, param('peak_to') or 18
local precool_c, curtail_c = param('precool_c') or -2, param('curtail_c') or 3
local headroom = param('precool_below_kw') or 1e300
local tz = param('tz_h') or 0
local hot_day, day = false, -1
local sent = nil -- last offset acknowledged by every load

local function send(offset)
  if offset == sent then return end
  local ok = true
  for _, l in ipairs(loads) do ok = command(l, offset) and ok end
  if ok then sent = offset end
end

function step()
  local t = now() / 3600 + tz
  local today, hour = math.floor(t / 24), t % 24
  if today ~= day then day, hot_day = today, false end
  local temp, _, q = read(thermo)
  if temp and q ~= 'bad' and temp >= trigger then hot_day = true end
  local offset = 0
  if hot_day and hour >= peak_from and hour < peak_to then
    offset = curtail_c
  elseif hot_day and hour >= precool_from and hour < peak_from then
    local p = read(feeder)
    -- the meter sees the pre-cooling already on: keep it unless clearly over
    if p and (p < headroom or (sent == precool_c and p < headroom * 1.02)) then offset = precool_c end
  end
  send(offset)
end
