-- Jamsil at rush hour: twenty-five times the default demand (1500 OD pairs at
-- 60 veh/h each), enough to put about ten thousand vehicles on the
-- district's streets at once. Used by scripts/bench_view.sh; expect the
-- gridlock check to fail: the demand is far above the network's capacity.
JAMSIL = { pairs_n = 1500, rate = 60, until_s = 3600 }
require("jamsil")
