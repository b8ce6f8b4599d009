-- A signal controller that fails on purpose (fail-safe drills, scenarios/signal_failsafe.lua):
-- the green phases every 20 s until fail_at, then raises an error
-- (mode = "error") or loops for ever (mode = "loop").
local signal, fail_at, mode = param('signal'), param('fail_at'), param('mode')
local spins = 0

function step()
  if now() >= fail_at then
    if mode == 'error' then error('injected fault') end
    while true do spins = spins + 1 end
  end
  command(signal, (now() // 20) % 2 == 0 and 0 or 2)
end
