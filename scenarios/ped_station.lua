-- A station concourse at the morning peak: people come out of the ticket
-- gates, cross the hall and walk down a corridor to the platform, while
-- arriving passengers leave the platform for the street exit. Pedestrians
-- only (the social-force model on Chipmunk2D, see scenarios/API.md).
city.config{ dt_ms = 100, until_s = 600 }

-- Walkable space: a 30 m x 20 m hall, a 4 m corridor east to the platform
-- (through a 3 m doorway) and a street exit north (through a 2 m door).
local hall = city.ped.room{ x0 = 0, y0 = 0, x1 = 30, y1 = 20 }
local corridor = city.ped.room{ x0 = 30, y0 = 8, x1 = 60, y1 = 12 }
local exit = city.ped.room{ x0 = 10, y0 = 20, x1 = 20, y1 = 30 }
city.ped.door(hall, corridor, 3)
city.ped.door(hall, exit, 2)

city.ped.place{ name = "gates", x = 4, y = 10, radius = 3 }
city.ped.place{ name = "platform", x = 58, y = 10, radius = 1.5 }
city.ped.place{ name = "street", x = 15, y = 28, radius = 1.5 }

-- Demand per time slice (persons per hour).
city.ped.flow{ from = "gates", to = "platform", begin = 0, ["end"] = 150, rate = 1200 }
city.ped.flow{ from = "gates", to = "platform", begin = 150, ["end"] = 300, rate = 2400 }
city.ped.flow{ from = "platform", to = "street", begin = 60, ["end"] = 300, rate = 1200 }

city.series("walking", function() return city.ped.stats().walking end, { every = 10, unit = "persons" })
city.check("everyone_arrives", function()
    local s = city.ped.stats()
    return s.walking == 0 and s.waiting == 0, s.walking .. " still walking, " .. s.waiting .. " waiting"
end, { whole_run = true })
city.check("walk_times_plausible", function()
    -- gates -> platform is about 54 m, platform -> street about 47 m: at
    -- Weidmann's 1.34 m/s, 35-40 s; crowding and detours add some.
    local t = city.ped.stats().mean_walk_time
    return t > 30 and t < 80, string.format("mean walk time %.1f s", t)
end)
