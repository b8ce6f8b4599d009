-- 3 demand levels x 4 seeds of the small grid scenario.
return {
  scenario = "ring.lua",
  params = { rate = { 300, 600, 900 } },
  seeds = range(1, 4),
  until_s = 900,
}
