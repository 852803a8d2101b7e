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
/*
 * A row's key as the log stores it: a single smallint, integer or bigint key
 * column as id (text NULL), any other key as text.  Indexing the bigint was
 * measured 5-16% faster per audited single-row update than indexing the same
 * value as text (README, Performance).
 */
typedef struct MnHistKey
{
	text	   *text;
	int64		id;
} MnHistKey;

extern Oid	mn_history_target(TimestampTz at);
extern bool mn_history_target_still_valid(void);
extern bool mn_history_log_is_partitioned(void);
extern void mn_history_write(TimestampTz at, int32 ctx, int16 table_id, char op, MnHistKey key,
							 text *changes);

#endif							/* HISTORY_H */
