-- A controller with a timer made at init (tests/fuzz/checkpoint.lua), so
-- that the checkpoints fuzzed and damaged in tests reach a timer's due time.
local n = 0
every(7, function()
  n = n + 1
  command('pulse', n % 3)
end)

function step() end
