/*
 * i18n.h: gettext shorthands.  _() marks and translates a string for
 * people; N_() marks one for translation where it is stored (tables).
 */
#ifndef MT_I18N_H
#define MT_I18N_H

#include <libintl.h>

#define _(s)	gettext(s)
#define N_(s)	(s)

#endif /* MT_I18N_H */
