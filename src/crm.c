/*
 * crm.c - mentor.normalize_phone(phone, country_code): the CRM's phone
 * numbers as E.164, by src/core/phone.c.
 *
 * The default country code is a setting (crm.default_country_code, through
 * settings.c's cache); it is read only for a national number, and only when
 * the caller gave none.
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"

#include "mentor.h"
#include "core/phone.h"

PG_FUNCTION_INFO_V1(mn_normalize_phone);

Datum
mn_normalize_phone(PG_FUNCTION_ARGS)
{
	text	   *phone;
	char	   *cc;
	char		out[PH_E164_MAX + 1];
	ph_result	r;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	phone = PG_GETARG_TEXT_PP(0);
	cc = PG_ARGISNULL(1) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(1));
	r = ph_normalize(VARDATA_ANY(phone), VARSIZE_ANY_EXHDR(phone), cc, out, sizeof(out));
	if (r == PH_NO_COUNTRY && PG_ARGISNULL(1))
	{
		bool		found;

		cc = mn_setting_text("crm.default_country_code", &found);
		r = ph_normalize(VARDATA_ANY(phone), VARSIZE_ANY_EXHDR(phone), cc, out, sizeof(out));
	}
	if (r == PH_NO_COUNTRY)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("phone number %s has no country code, and no valid default is set",
						quote_literal_cstr(text_to_cstring(phone))),
				 errhint("Write it with its country code (+91 98765 43210) or set crm.default_country_code.")));
	if (r != PH_OK)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("phone number %s cannot be read as an international number",
						quote_literal_cstr(text_to_cstring(phone))),
				 errhint("A phone number is 8 to 15 digits with its country code, such as +91 98765 43210.")));
	PG_RETURN_TEXT_P(cstring_to_text(out));
}
