-- The default scenario: what `citylab` runs with no arguments.
-- It grows as subsystems land; its final form is the Jamsil district.
city.config{ dt_ms = 100, until_s = 600 }

local arrivals = 0
city.every(1.0, function()
  if math.random() < 0.3 then arrivals = arrivals + 1 end
end)
city.series("arrivals", function() return arrivals end, { every = 60, unit = "count" })
city.kpi("arrivals", function() return arrivals end)
city.check("some_arrivals", function() return arrivals > 0, ("%d arrivals"):format(arrivals) end)
