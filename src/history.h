/*
 * history.h - shared by the history capture (history.c) and store (history_store.c).
 */
#ifndef HISTORY_H
#define HISTORY_H

#include "postgres.h"
#include "utils/timestamp.h"

extern void mn_history_init(void);
extern void mn_history_store_init(void);
extern int32 mn_history_context(void);
extern void mn_history_write(TimestampTz at, int32 ctx, int16 table_id, char op, text *key, text *changes);

#endif							/* HISTORY_H */
