/* mod_random.c — (in progress) */
