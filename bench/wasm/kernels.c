/*
 * kernels.c — CPU-bound benchmark kernels for Bailey's Wasm engine, built with
 * clang --target=wasm32-wasi -nostdlib; each export takes a size and returns a
 * checksum so that the work cannot be optimised away and both engines can be
 * compared on the result.
 */
typedef unsigned int u32;
typedef unsigned long long u64;

#define EXPORT(name) __attribute__((export_name(#name)))

/* calls: naive recursive Fibonacci */
static int fib(int n)
{
	return n < 2 ? n : fib(n - 1) + fib(n - 2);
}
EXPORT(fib) int fib_entry(int n)
{
	return fib(n);
}

/* memory + integer: sieve of Eratosthenes, repeated */
static unsigned char sieve_buf[1 << 20];
EXPORT(sieve) int sieve(int reps)
{
	int count = 0;
	for (int r = 0; r < reps; r++) {
		int n = (int)sizeof(sieve_buf);
		for (int i = 0; i < n; i++)
			sieve_buf[i] = 1;
		count = 0;
		for (int i = 2; i < n; i++) {
			if (!sieve_buf[i])
				continue;
			count++;
			for (int j = i + i; j < n; j += i)
				sieve_buf[j] = 0;
		}
	}
	return count;
}

/* floating point: dense matrix multiply */
#define MN 96
static double ma[MN][MN], mb[MN][MN], mc[MN][MN];
EXPORT(matmul) int matmul(int reps)
{
	for (int i = 0; i < MN; i++)
		for (int j = 0; j < MN; j++) {
			ma[i][j] = (double)(i + j) * 0.5;
			mb[i][j] = (double)(i - j) * 0.25;
		}
	double sum = 0;
	for (int r = 0; r < reps; r++) {
		for (int i = 0; i < MN; i++)
			for (int j = 0; j < MN; j++) {
				double s = 0;
				for (int k = 0; k < MN; k++)
					s += ma[i][k] * mb[k][j];
				mc[i][j] = s;
			}
		sum += mc[r % MN][(r * 7) % MN];
	}
	return (int)sum;
}

/* integer bit operations: CRC-32 (bitwise) over a buffer */
static unsigned char crc_buf[4096];
EXPORT(crc32) u32 crc32(int reps)
{
	u32 crc = 0xffffffffu;
	for (int i = 0; i < (int)sizeof(crc_buf); i++)
		crc_buf[i] = (unsigned char)(i * 31 + 7);
	for (int r = 0; r < reps; r++)
		for (int i = 0; i < (int)sizeof(crc_buf); i++) {
			crc ^= crc_buf[i];
			for (int b = 0; b < 8; b++)
				crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1)));
		}
	return ~crc;
}

/* indirect branches: a small bytecode interpreter dispatching through a table of functions */
struct vm {
	int acc, x, pc;
};
typedef void (*op_fn)(struct vm *);
static void op_inc(struct vm *v)
{
	v->acc += 1;
}
static void op_dbl(struct vm *v)
{
	v->acc = v->acc * 2 + 1;
}
static void op_xor(struct vm *v)
{
	v->acc ^= v->x;
}
static void op_mix(struct vm *v)
{
	v->x = v->x * 1103515245 + v->acc;
}
static void op_shr(struct vm *v)
{
	v->acc = (int)((u32)v->acc >> 3);
}
static op_fn ops[5] = { op_inc, op_dbl, op_xor, op_mix, op_shr };
static const unsigned char prog[16] = { 0, 1, 3, 2, 4, 0, 3, 1, 2, 3, 4, 1, 0, 3, 2, 4 };
EXPORT(dispatch) int dispatch(int steps)
{
	struct vm v = { 1, 7, 0 };
	for (int i = 0; i < steps; i++) {
		ops[prog[v.pc]](&v);
		v.pc = (v.pc + 1 + (v.x & 1)) & 15;
	}
	return v.acc ^ v.x;
}

/* 64-bit integer arithmetic: xorshift and modular mixing */
EXPORT(mix64) u32 mix64(int n)
{
	u64 s = 0x9e3779b97f4a7c15ull, acc = 0;
	for (int i = 0; i < n; i++) {
		s ^= s << 13;
		s ^= s >> 7;
		s ^= s << 17;
		acc += (s % 1000003u) * (u64)(i | 1);
	}
	return (u32)(acc ^ (acc >> 32));
}
