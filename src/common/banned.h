/*
 * banned.h - turns unsafe or non-reentrant libc calls into compile errors
 * (the idea of git's banned.h). Included last by compat.h in every source file.
 */
#ifndef RENKEI_BANNED_H
#define RENKEI_BANNED_H

#define BANNED(func) sorry_##func##_is_banned_in_renkei

#undef strcpy
#define strcpy(x, y) BANNED(strcpy)
#undef strcat
#define strcat(x, y) BANNED(strcat)
#undef strncpy
#define strncpy(x, y, n) BANNED(strncpy)
#undef sprintf
#define sprintf(...) BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) BANNED(vsprintf)
#undef strtok
#define strtok(x, y) BANNED(strtok)
#undef gmtime
#define gmtime(t) BANNED(gmtime)
#undef localtime
#define localtime(t) BANNED(localtime)
#undef atoi
#define atoi(s) BANNED(atoi)

#endif
