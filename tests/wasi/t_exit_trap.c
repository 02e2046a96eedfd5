/* t_exit_trap.c — exit codes and traps: `exit N` exits with N, `trap` traps. */
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	if (argc > 2 && !strcmp(argv[1], "exit"))
		exit(atoi(argv[2]));
	if (argc > 1 && !strcmp(argv[1], "trap"))
		__builtin_trap();
	return 0;
}
