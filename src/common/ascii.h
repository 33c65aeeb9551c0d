/*
 * ascii.h — locale-independent character helpers for the parsers (the
 * <ctype.h> functions depend on the locale and take int).
 */
#ifndef CK_ASCII_H
#define CK_ASCII_H

/* The value of a hex digit, or -1 if c is not one. */
static inline int ck_hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

#endif
