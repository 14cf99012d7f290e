/* scripts.h - the Lua scripts Redis runs, embedded from common/lua/ at
 * build time (common/lua/embed.sh puts prelude.lua in front of each). */
#ifndef LR_SCRIPTS_H
#define LR_SCRIPTS_H

extern const char lua_enqueue[], lua_claim[], lua_update[], lua_complete[],
    lua_defer[], lua_release[], lua_heartbeat[], lua_unregister[],
    lua_session[], lua_reap[], lua_reconcile[], lua_audit[], lua_retention[],
    lua_ratelimit_pause[], lua_ratelimit_remaining[], lua_reaper_lock[],
    lua_stats_add[], lua_status_index[];

#endif
