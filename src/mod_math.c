/* mod_math.c — (in progress) */
