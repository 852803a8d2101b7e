/*
 * ledger.h - what the ledger's files share: the layout of its tables and
 * the operations, accounts and call state its pipeline works on.
 */
#ifndef LEDGER_H
#define LEDGER_H

#include "postgres.h"
#include "utils/snapshot.h"
#include "utils/uuid.h"

#include "direct.h"

/* Column positions (0-based), checked against the tables' column count at open. */
enum
{
	A_ID, A_OWNER, A_KIND, A_ASSET, A_POSTED, A_PEND_DR, A_PEND_CR, A_VERSION, A_ALLOW_NEG,
	A_TRACKED, A_CLOSED, A_NAME, A_EXPIRES, A_CREATED, A_UPDATED, A_NATTS
};
enum
{
	T_ID, T_DEBIT, T_CREDIT, T_AMOUNT, T_KIND, T_STATUS, T_PENDING_ID, T_EXPIRES, T_REFERENCE,
	T_ACTOR, T_CREATED, T_NATTS
};
enum
{
	E_ACCOUNT, E_AT, E_TRANSFER, E_AMOUNT, E_BALANCE, E_VERSION, E_NATTS
};


typedef enum
{
	OP_POSTED, OP_PENDING, OP_POST, OP_VOID, OP_EXPIRE
} MnLedgerOpType;

typedef struct MnLedgerOp
{
	MnLedgerOpType		type;
	pg_uuid_t	id;				/* the row this op writes (not for OP_EXPIRE) */
	int64		debit;
	int64		credit;
	int64		amount;			/* moved (posted ops) or held (pending) */
	int64		held;			/* resolutions: the hold's amount */
	bool		amount_given;	/* OP_POST: a partial amount was asked for */
	text	   *kind;
	text	   *reference;
	TimestampTz expires_at;		/* 0 = none */
	pg_uuid_t	pending_id;		/* resolutions: the hold */
	bool		duplicate;		/* an idempotent repeat: no effect */
	bool		skipped;		/* OP_EXPIRE: the hold was being resolved by someone else */
} MnLedgerOp;

typedef struct MnLedgerAcct
{
	int64		id;
	bool		found;
	bool		tracked;
	bool		allow_negative;
	bool		external;		/* kind 'external': payments in and out */
	bool		closed;
	text	   *asset;
	int64		posted;			/* newest stored values (tracked accounts) */
	int64		pend_dr;
	int64		pend_cr;
	int64		version;
	HeapTuple	tuple;			/* copy of the newest version */
	/* running values while the call's rows are written */
	int64		r_posted;
	int64		r_version;
} MnLedgerAcct;

typedef struct MnLedger
{
	Relation	accounts;
	Relation	transfers;
	Relation	entries;
	TupleTableSlot *slot_a;
	TupleTableSlot *slot_t;
	MnLedgerOp		   *ops;
	int			nops;
	MnLedgerAcct	   *accts;
	int			naccts;
	bool		has_actor;
	int64		actor;
	bool		restricted;		/* a caller without mentor_admin: no debit of accounts that
								 * may go negative, no credit of external accounts */
	TimestampTz now;
	Snapshot	snap;			/* fresh when taken; renewed after waiting for another call */
} MnLedger;

extern MnDirectRel mn_ledger_accounts_rel;

/* ledger.c: the pipeline */
extern void mn_ledger_begin(MnLedger *L);
extern void mn_ledger_run(MnLedger *L);
extern void mn_ledger_end(MnLedger *L);
extern void mn_renew_snapshot(MnLedger *L);
extern void mn_check_snapshot(TupleTableSlot *slot, const char *what);
extern void mn_check_new_transfer(const MnLedgerOp *op);
extern bool mn_op_is_live(const MnLedgerOp *op);
extern bool mn_same_text(text *a, text *b);
extern char *mn_uuid_str(const pg_uuid_t *u);
extern const char *mn_op_verb(MnLedgerOpType t);

/* ledger_accounts.c: step 2 */
extern MnLedgerAcct *mn_find_acct(MnLedger *L, int64 id);
extern void mn_gather_accounts(MnLedger *L);
extern void mn_check_ops_accounts(MnLedger *L);
extern void mn_update_accounts(MnLedger *L);

#endif							/* LEDGER_H */
