-- Fine-dust response: when the PM2.5 sensors say the air is bad, issue an
-- advisory and restrict heavy vehicles; lift both once it has been better
-- for a while.
-- Params: sensors ("pm.1 pm.2 ...": PM2.5, ug/m3), advisory (actuator,
-- 1 = advisory out), restriction (actuator, 1 = heavy vehicles restricted),
-- level (50: the median of the good readings at or above it...), confirm
-- (...for this many s: 600), release (35: below it...), hold (...for this
-- many s: 1800). The median ignores a stuck or offset sensor or two.
local sensors = {}
for s in string.gmatch(param('sensors') or '', '%S+') do sensors[#sensors + 1] = s end
local advisory, restriction = param('advisory'), param('restriction')
local level, confirm = param('level') or 50, param('confirm') or 600
local release, hold = param('release') or 35, param('hold') or 1800
local on = false
local above_since, below_since = nil, nil

local function median()
  local v = {}
  for _, s in ipairs(sensors) do
    local x, _, q = read(s)
    if x and q == 'good' then v[#v + 1] = x end
  end
  if #v == 0 then return nil end
  table.sort(v)
  local m = (#v + 1) // 2
  return #v % 2 == 1 and v[m] or (v[m] + v[m + 1]) / 2
end

local function set(state)
  local a = command(advisory, state and 1 or 0)
  local r = command(restriction, state and 1 or 0)
  if a and r then
    on = state
    log(state and 'fine dust: advisory out, heavy vehicles restricted' or 'fine dust: measures lifted')
  end
end

function step()
  local pm = median()
  if not pm then return end
  local t = now()
  above_since = pm >= level and (above_since or t) or nil
  below_since = pm < release and (below_since or t) or nil
  if not on and above_since and t - above_since >= confirm then
    set(true)
  elseif on and below_since and t - below_since >= hold then
    set(false)
  end
end
