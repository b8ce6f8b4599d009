/* Operator commands: what a person at the viewer does to the city, and
 * how a session is replayed.
 *
 * A command is one line of text. It applies through the same functions a
 * scenario's city.road.close_lane or city.grid.outage call, and it logs
 * itself to the event log as kind "command" with that text:
 *
 *   close_lane <lane id>      open_lane <lane id>
 *   open_branch <branch id>   close_branch <branch id>   (trip / restore a line)
 *
 * Replaying reads the "command" lines of an events.csv and schedules each at
 * the tick it was given, as a timed event (those fire before anything else
 * in the step, which is exactly where a command between two viewer frames
 * lands). The same scenario, seed and dt then reach the same state hash as
 * the viewed session, and write the same event log. */
#ifndef CITY_COMMAND_H
#define CITY_COMMAND_H

#include <stddef.h>

#include "city_status.h"
#include "city_world.h"

/* Applies one command now and logs it. On error the world's last error says
 * what is wrong and the world is otherwise unchanged. */
CityStatus city_command_apply(CityWorld *world, const char *command);

/* The commands of a replay; they must outlive the run (the world's timed
 * events point into it), so the caller frees it after the world. */
typedef struct CityReplay CityReplay;

/* Reads the "command" lines of an event log written by an earlier run and
 * schedules them at their ticks. Errors name the file and line: a command
 * that is not known, a time that is not on a tick of this run's dt, a time
 * already past (in the world's last error). Replaying adds nothing to the
 * state: a run with a replay of no commands has the hash of a run without. */
CityStatus city_command_replay(CityWorld *world, const char *events_csv, CityReplay **out);
void city_replay_free(CityReplay *replay);

#endif
