/*
 * mentor.h - declarations shared by the glue files of src/.
 */
#ifndef MENTOR_H
#define MENTOR_H

#include "postgres.h"
#include "access/htup.h"
#include "catalog/pg_attribute.h"
#include "utils/rel.h"
#include "utils/timestamp.h"
#include "core/mn_core.h"

/* actor.c */
extern void mn_actor_init(void);
extern void mn_secrets_init(void);
extern bool mn_current_actor(int64 *actor);

/* util.c */
struct TriggerData;
extern struct TriggerData *mn_require_trigger(FunctionCallInfo fcinfo, const char *funcname,
												const char *hint);
extern void mn_refuse_write(struct TriggerData *td, const char *what, const char *hint);
extern mn_allocator mn_palloc_allocator(MemoryContext cxt);
extern char *mn_qualified_name(Relation rel);
extern char *mn_describe_row(Relation rel, HeapTuple tuple);
extern void mn_check_row_trigger(FunctionCallInfo fcinfo, const char *funcname,
								 int nargs, bool before);
extern bool mn_same_value(Form_pg_attribute att, Datum a, bool anull, Datum b, bool bnull);
extern TimestampTz mn_clock(void);
extern void mn_prevent_read_only(FunctionCallInfo fcinfo);
extern void mn_materialize_srf(FunctionCallInfo fcinfo);
extern Datum *mn_array_arg(FunctionCallInfo fcinfo, int argno, const char *name, Oid elemtype, int *n);
struct _SPI_plan;
extern struct _SPI_plan *mn_keep_plan(const char *sql, int nargs, Oid *argtypes, int options);

extern Oid	mn_relid(const char *name);
struct ScanKeyData;
extern void mn_text_scankey(struct ScanKeyData *key, AttrNumber attno, const char *value);

/* settings.c */
extern char *mn_setting_text(const char *key, bool *found);

/* import.c: true while mentor.import_rows inserts another system's past rows */
extern bool mn_importing(void);

/* guards.c */
extern bool mn_current_user_is_admin(void);



#endif							/* MENTOR_H */
