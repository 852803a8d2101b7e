/*
 * mentor_errcodes.h - the extension's own SQLSTATE class MN.
 *
 * Every C file raises user-facing errors with these codes (or a standard
 * PostgreSQL one), so applications can map them: MN002 to HTTP 402, MN001 and
 * MN006 to 409, and so on.  The table lives in README.md ("Error codes").
 */
#ifndef MENTOR_ERRCODES_H
#define MENTOR_ERRCODES_H

#include "utils/elog.h"

#define ERRCODE_MN_INVALID_TRANSITION		MAKE_SQLSTATE('M','N','0','0','1')
#define ERRCODE_MN_INSUFFICIENT_FUNDS		MAKE_SQLSTATE('M','N','0','0','2')
#define ERRCODE_MN_IDEMPOTENCY_CONFLICT		MAKE_SQLSTATE('M','N','0','0','3')
#define ERRCODE_MN_CAPACITY_EXCEEDED		MAKE_SQLSTATE('M','N','0','0','4')
#define ERRCODE_MN_NOT_PARTICIPANT			MAKE_SQLSTATE('M','N','0','0','5')
#define ERRCODE_MN_WRONG_STATE				MAKE_SQLSTATE('M','N','0','0','6')
#define ERRCODE_MN_NOT_ENOUGH_PARTICIPANTS	MAKE_SQLSTATE('M','N','0','0','7')
#define ERRCODE_MN_EXPIRED					MAKE_SQLSTATE('M','N','0','0','8')

#endif							/* MENTOR_ERRCODES_H */
