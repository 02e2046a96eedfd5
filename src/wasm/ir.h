/*
 * ir.h — Bailey's internal instruction set: what the compiler (compile.c)
 * emits and the interpreter (interp.c) runs.
 *
 * Code is an array of 8-byte cells (union wasm_cell). An instruction is one
 * opcode cell followed by its operand cells; the number of operand cells is
 * fixed per opcode (column N below), except BR_TABLE, which is followed by
 * `count + 1` label cells. Before first use, wasm_ir_thread() replaces every
 * opcode cell with the address of its handler in the interpreter (computed
 * goto) and every label cell (an index into the same code array) with a
 * pointer, so dispatch is one indirect jump and nothing is decoded at run
 * time.
 *
 * Operands name *slots*: 8-byte cells of the current frame, addressed from the
 * frame pointer fp. A function's frame is [params | other locals | operand
 * stack]; the compiler knows the operand-stack height at every instruction, so
 * the Wasm value at height h lives in slot nlocals + h and each instruction
 * names its inputs and output slots directly (no push/pop at run time).
 * A call's arguments are the top slots of the caller's operand stack; the
 * callee's frame starts there, so arguments need no copying and results come
 * back in place. v128 (SIMD, later) will occupy two adjacent slots: the
 * compiler assigns slot numbers, the instruction set addresses slots by index,
 * and nothing else assumes one slot per value.
 *
 * Operand kinds: s = slot index, i = immediate (integer, or float bits),
 * L = label (code index, a pointer once threaded), x = index into a module
 * space (function, type, table, global, segment), k = canonical type id.
 */
#ifndef BL_WASM_IR_H
#define BL_WASM_IR_H

#include <stdint.h>

union wasm_cell {
	const void *h; /* opcode after threading */
	uint64_t u; /* slot index, immediate, opcode or label before threading */
	int64_t i;
	const union wasm_cell *l; /* label after threading */
};

/*
 * X(name, N, label_mask) — label_mask bit k set when operand k is a label.
 * Shapes (operands in order):
 *   control:  BR L; BR_IF s L; BR_UNLESS s L; BR_TABLE s count L...;
 *             RETURN (taken branches and calls also check for interruption);
 *             CALL x base; CALL_INDIRECT k table base idx_slot
 *   moves:    COPY dst src; CONST dst i; SELECT dst a b cond
 *             GLOBAL_GET dst x; GLOBAL_SET x src; REF_FUNC dst x
 *   memory:   loads dst addr imm offset, address = ((addr + imm) mod 2^32) + offset
 *             (imm folds a preceding i32.add of a constant); stores addr val
 *             offset imm, same address;
 *             MEMORY_SIZE dst;
 *             MEMORY_GROW dst delta; MEMORY_FILL d v n; MEMORY_COPY d s n;
 *             MEMORY_INIT x d s n; DATA_DROP x
 *   tables:   TABLE_GET dst x i; TABLE_SET x i v; TABLE_SIZE dst x;
 *             TABLE_GROW dst x init n; TABLE_FILL x i v n;
 *             TABLE_COPY xd xs d s n; TABLE_INIT x seg d s n; ELEM_DROP x
 *   numeric:  unary dst a; binary dst a b (semantics of the Wasm instruction
 *             of the same name, spec 4.3)
 *   fused:    *_I binary ops with an immediate right operand: dst a i;
 *             BR_IF_I32_<cmp> a b L and BR_IF_I32_<cmp>_I a i L: compare and
 *             branch when true; BR_IF_I32_EQZ / BR_IF_I32_NEZ a L.
 */
#define WASM_IR_CONTROL(X)                                                                         \
	X(UNREACHABLE, 0, 0)                                                                       \
	X(BR, 1, 1)                                                                                \
	X(BR_IF, 2, 2)                                                                             \
	X(BR_UNLESS, 2, 2)                                                                         \
	X(BR_TABLE, 2, 0)                                                                          \
	X(RETURN, 0, 0)                                                                            \
	X(CALL, 2, 0)                                                                              \
	X(CALL_INDIRECT, 4, 0)                                                                     \
	X(COPY, 2, 0)                                                                              \
	X(CONST, 2, 0)                                                                             \
	X(SELECT, 4, 0)                                                                            \
	X(GLOBAL_GET, 2, 0)                                                                        \
	X(GLOBAL_SET, 2, 0)                                                                        \
	X(REF_FUNC, 2, 0)                                                                          \
	X(MEMORY_SIZE, 1, 0)                                                                       \
	X(MEMORY_GROW, 2, 0)                                                                       \
	X(MEMORY_FILL, 3, 0)                                                                       \
	X(MEMORY_COPY, 3, 0)                                                                       \
	X(MEMORY_INIT, 4, 0)                                                                       \
	X(DATA_DROP, 1, 0)                                                                         \
	X(TABLE_GET, 3, 0)                                                                         \
	X(TABLE_SET, 3, 0)                                                                         \
	X(TABLE_SIZE, 2, 0)                                                                        \
	X(TABLE_GROW, 4, 0)                                                                        \
	X(TABLE_FILL, 4, 0)                                                                        \
	X(TABLE_COPY, 5, 0)                                                                        \
	X(TABLE_INIT, 5, 0)                                                                        \
	X(ELEM_DROP, 1, 0)

#define WASM_IR_MEMOPS(X)                                                                          \
	X(I32_LOAD, 4, 0)                                                                          \
	X(I64_LOAD, 4, 0)                                                                          \
	X(F32_LOAD, 4, 0)                                                                          \
	X(F64_LOAD, 4, 0)                                                                          \
	X(I32_LOAD8_S, 4, 0)                                                                       \
	X(I32_LOAD8_U, 4, 0)                                                                       \
	X(I32_LOAD16_S, 4, 0)                                                                      \
	X(I32_LOAD16_U, 4, 0)                                                                      \
	X(I64_LOAD8_S, 4, 0)                                                                       \
	X(I64_LOAD8_U, 4, 0)                                                                       \
	X(I64_LOAD16_S, 4, 0)                                                                      \
	X(I64_LOAD16_U, 4, 0)                                                                      \
	X(I64_LOAD32_S, 4, 0)                                                                      \
	X(I64_LOAD32_U, 4, 0)                                                                      \
	X(I32_STORE, 4, 0)                                                                         \
	X(I64_STORE, 4, 0)                                                                         \
	X(F32_STORE, 4, 0)                                                                         \
	X(F64_STORE, 4, 0)                                                                         \
	X(I32_STORE8, 4, 0)                                                                        \
	X(I32_STORE16, 4, 0)                                                                       \
	X(I64_STORE8, 4, 0)                                                                        \
	X(I64_STORE16, 4, 0)                                                                       \
	X(I64_STORE32, 4, 0)

/* Unary numeric operators: dst a. */
#define WASM_IR_UNOPS(X)                                                                           \
	X(I32_EQZ, 2, 0)                                                                           \
	X(I64_EQZ, 2, 0)                                                                           \
	X(I32_CLZ, 2, 0)                                                                           \
	X(I32_CTZ, 2, 0)                                                                           \
	X(I32_POPCNT, 2, 0)                                                                        \
	X(I64_CLZ, 2, 0)                                                                           \
	X(I64_CTZ, 2, 0)                                                                           \
	X(I64_POPCNT, 2, 0)                                                                        \
	X(F32_ABS, 2, 0)                                                                           \
	X(F32_NEG, 2, 0)                                                                           \
	X(F32_CEIL, 2, 0)                                                                          \
	X(F32_FLOOR, 2, 0)                                                                         \
	X(F32_TRUNC, 2, 0)                                                                         \
	X(F32_NEAREST, 2, 0)                                                                       \
	X(F32_SQRT, 2, 0)                                                                          \
	X(F64_ABS, 2, 0)                                                                           \
	X(F64_NEG, 2, 0)                                                                           \
	X(F64_CEIL, 2, 0)                                                                          \
	X(F64_FLOOR, 2, 0)                                                                         \
	X(F64_TRUNC, 2, 0)                                                                         \
	X(F64_NEAREST, 2, 0)                                                                       \
	X(F64_SQRT, 2, 0)                                                                          \
	X(I32_WRAP_I64, 2, 0)                                                                      \
	X(I32_TRUNC_F32_S, 2, 0)                                                                   \
	X(I32_TRUNC_F32_U, 2, 0)                                                                   \
	X(I32_TRUNC_F64_S, 2, 0)                                                                   \
	X(I32_TRUNC_F64_U, 2, 0)                                                                   \
	X(I64_EXTEND_I32_S, 2, 0)                                                                  \
	X(I64_EXTEND_I32_U, 2, 0)                                                                  \
	X(I64_TRUNC_F32_S, 2, 0)                                                                   \
	X(I64_TRUNC_F32_U, 2, 0)                                                                   \
	X(I64_TRUNC_F64_S, 2, 0)                                                                   \
	X(I64_TRUNC_F64_U, 2, 0)                                                                   \
	X(F32_CONVERT_I32_S, 2, 0)                                                                 \
	X(F32_CONVERT_I32_U, 2, 0)                                                                 \
	X(F32_CONVERT_I64_S, 2, 0)                                                                 \
	X(F32_CONVERT_I64_U, 2, 0)                                                                 \
	X(F32_DEMOTE_F64, 2, 0)                                                                    \
	X(F64_CONVERT_I32_S, 2, 0)                                                                 \
	X(F64_CONVERT_I32_U, 2, 0)                                                                 \
	X(F64_CONVERT_I64_S, 2, 0)                                                                 \
	X(F64_CONVERT_I64_U, 2, 0)                                                                 \
	X(F64_PROMOTE_F32, 2, 0)                                                                   \
	X(I32_EXTEND8_S, 2, 0)                                                                     \
	X(I32_EXTEND16_S, 2, 0)                                                                    \
	X(I64_EXTEND8_S, 2, 0)                                                                     \
	X(I64_EXTEND16_S, 2, 0)                                                                    \
	X(I64_EXTEND32_S, 2, 0)                                                                    \
	X(I32_TRUNC_SAT_F32_S, 2, 0)                                                               \
	X(I32_TRUNC_SAT_F32_U, 2, 0)                                                               \
	X(I32_TRUNC_SAT_F64_S, 2, 0)                                                               \
	X(I32_TRUNC_SAT_F64_U, 2, 0)                                                               \
	X(I64_TRUNC_SAT_F32_S, 2, 0)                                                               \
	X(I64_TRUNC_SAT_F32_U, 2, 0)                                                               \
	X(I64_TRUNC_SAT_F64_S, 2, 0)                                                               \
	X(I64_TRUNC_SAT_F64_U, 2, 0)                                                               \
	X(REF_IS_NULL, 2, 0)

/* Binary numeric operators: dst a b. */
#define WASM_IR_BINOPS(X)                                                                          \
	X(I32_EQ, 3, 0)                                                                            \
	X(I32_NE, 3, 0)                                                                            \
	X(I32_LT_S, 3, 0)                                                                          \
	X(I32_LT_U, 3, 0)                                                                          \
	X(I32_GT_S, 3, 0)                                                                          \
	X(I32_GT_U, 3, 0)                                                                          \
	X(I32_LE_S, 3, 0)                                                                          \
	X(I32_LE_U, 3, 0)                                                                          \
	X(I32_GE_S, 3, 0)                                                                          \
	X(I32_GE_U, 3, 0)                                                                          \
	X(I64_EQ, 3, 0)                                                                            \
	X(I64_NE, 3, 0)                                                                            \
	X(I64_LT_S, 3, 0)                                                                          \
	X(I64_LT_U, 3, 0)                                                                          \
	X(I64_GT_S, 3, 0)                                                                          \
	X(I64_GT_U, 3, 0)                                                                          \
	X(I64_LE_S, 3, 0)                                                                          \
	X(I64_LE_U, 3, 0)                                                                          \
	X(I64_GE_S, 3, 0)                                                                          \
	X(I64_GE_U, 3, 0)                                                                          \
	X(F32_EQ, 3, 0)                                                                            \
	X(F32_NE, 3, 0)                                                                            \
	X(F32_LT, 3, 0)                                                                            \
	X(F32_GT, 3, 0)                                                                            \
	X(F32_LE, 3, 0)                                                                            \
	X(F32_GE, 3, 0)                                                                            \
	X(F64_EQ, 3, 0)                                                                            \
	X(F64_NE, 3, 0)                                                                            \
	X(F64_LT, 3, 0)                                                                            \
	X(F64_GT, 3, 0)                                                                            \
	X(F64_LE, 3, 0)                                                                            \
	X(F64_GE, 3, 0)                                                                            \
	X(I32_ADD, 3, 0)                                                                           \
	X(I32_SUB, 3, 0)                                                                           \
	X(I32_MUL, 3, 0)                                                                           \
	X(I32_DIV_S, 3, 0)                                                                         \
	X(I32_DIV_U, 3, 0)                                                                         \
	X(I32_REM_S, 3, 0)                                                                         \
	X(I32_REM_U, 3, 0)                                                                         \
	X(I32_AND, 3, 0)                                                                           \
	X(I32_OR, 3, 0)                                                                            \
	X(I32_XOR, 3, 0)                                                                           \
	X(I32_SHL, 3, 0)                                                                           \
	X(I32_SHR_S, 3, 0)                                                                         \
	X(I32_SHR_U, 3, 0)                                                                         \
	X(I32_ROTL, 3, 0)                                                                          \
	X(I32_ROTR, 3, 0)                                                                          \
	X(I64_ADD, 3, 0)                                                                           \
	X(I64_SUB, 3, 0)                                                                           \
	X(I64_MUL, 3, 0)                                                                           \
	X(I64_DIV_S, 3, 0)                                                                         \
	X(I64_DIV_U, 3, 0)                                                                         \
	X(I64_REM_S, 3, 0)                                                                         \
	X(I64_REM_U, 3, 0)                                                                         \
	X(I64_AND, 3, 0)                                                                           \
	X(I64_OR, 3, 0)                                                                            \
	X(I64_XOR, 3, 0)                                                                           \
	X(I64_SHL, 3, 0)                                                                           \
	X(I64_SHR_S, 3, 0)                                                                         \
	X(I64_SHR_U, 3, 0)                                                                         \
	X(I64_ROTL, 3, 0)                                                                          \
	X(I64_ROTR, 3, 0)                                                                          \
	X(F32_ADD, 3, 0)                                                                           \
	X(F32_SUB, 3, 0)                                                                           \
	X(F32_MUL, 3, 0)                                                                           \
	X(F32_DIV, 3, 0)                                                                           \
	X(F32_MIN, 3, 0)                                                                           \
	X(F32_MAX, 3, 0)                                                                           \
	X(F32_COPYSIGN, 3, 0)                                                                      \
	X(F64_ADD, 3, 0)                                                                           \
	X(F64_SUB, 3, 0)                                                                           \
	X(F64_MUL, 3, 0)                                                                           \
	X(F64_DIV, 3, 0)                                                                           \
	X(F64_MIN, 3, 0)                                                                           \
	X(F64_MAX, 3, 0)                                                                           \
	X(F64_COPYSIGN, 3, 0)

/* Binary operators with an immediate right operand: dst a imm (see compile.c);
 * RSUB_I computes imm - a (a subtraction whose left operand is constant). */
#define WASM_IR_IMM_BASES(Y)                                                                       \
	Y(I32_ADD)                                                                                 \
	Y(I32_SUB)                                                                                 \
	Y(I32_MUL)                                                                                 \
	Y(I32_AND)                                                                                 \
	Y(I32_OR)                                                                                  \
	Y(I32_XOR)                                                                                 \
	Y(I32_SHL)                                                                                 \
	Y(I32_SHR_S)                                                                               \
	Y(I32_SHR_U)                                                                               \
	Y(I32_EQ)                                                                                  \
	Y(I32_NE)                                                                                  \
	Y(I32_LT_S)                                                                                \
	Y(I32_LT_U)                                                                                \
	Y(I32_GT_S)                                                                                \
	Y(I32_GT_U)                                                                                \
	Y(I32_LE_S)                                                                                \
	Y(I32_LE_U)                                                                                \
	Y(I32_GE_S)                                                                                \
	Y(I32_GE_U)                                                                                \
	Y(I64_ADD)                                                                                 \
	Y(I64_SUB)                                                                                 \
	Y(I64_MUL)                                                                                 \
	Y(I64_AND)                                                                                 \
	Y(I64_OR)                                                                                  \
	Y(I64_XOR)                                                                                 \
	Y(I64_SHL)                                                                                 \
	Y(I64_SHR_S)                                                                               \
	Y(I64_SHR_U)

#define WASM_IR_IMMOPS(X)                                                                          \
	X(I32_ADD_I, 3, 0)                                                                         \
	X(I32_SUB_I, 3, 0)                                                                         \
	X(I32_MUL_I, 3, 0)                                                                         \
	X(I32_AND_I, 3, 0)                                                                         \
	X(I32_OR_I, 3, 0)                                                                          \
	X(I32_XOR_I, 3, 0)                                                                         \
	X(I32_SHL_I, 3, 0)                                                                         \
	X(I32_SHR_S_I, 3, 0)                                                                       \
	X(I32_SHR_U_I, 3, 0)                                                                       \
	X(I32_EQ_I, 3, 0)                                                                          \
	X(I32_NE_I, 3, 0)                                                                          \
	X(I32_LT_S_I, 3, 0)                                                                        \
	X(I32_LT_U_I, 3, 0)                                                                        \
	X(I32_GT_S_I, 3, 0)                                                                        \
	X(I32_GT_U_I, 3, 0)                                                                        \
	X(I32_LE_S_I, 3, 0)                                                                        \
	X(I32_LE_U_I, 3, 0)                                                                        \
	X(I32_GE_S_I, 3, 0)                                                                        \
	X(I32_GE_U_I, 3, 0)                                                                        \
	X(I64_ADD_I, 3, 0)                                                                         \
	X(I64_SUB_I, 3, 0)                                                                         \
	X(I64_MUL_I, 3, 0)                                                                         \
	X(I64_AND_I, 3, 0)                                                                         \
	X(I64_OR_I, 3, 0)                                                                          \
	X(I64_XOR_I, 3, 0)                                                                         \
	X(I64_SHL_I, 3, 0)                                                                         \
	X(I64_SHR_S_I, 3, 0)                                                                       \
	X(I64_SHR_U_I, 3, 0)                                                                       \
	X(I32_RSUB_I, 3, 0)                                                                        \
	X(I64_RSUB_I, 3, 0)

/* i32 comparisons that fuse with a following br_if / if: BR_IF_I32_<cmp> a b L, _I: a imm L. */
#define WASM_IR_CMP_BASES(Y)                                                                       \
	Y(EQ)                                                                                      \
	Y(NE)                                                                                      \
	Y(LT_S)                                                                                    \
	Y(LT_U)                                                                                    \
	Y(GT_S)                                                                                    \
	Y(GT_U)                                                                                    \
	Y(LE_S)                                                                                    \
	Y(LE_U)                                                                                    \
	Y(GE_S)                                                                                    \
	Y(GE_U)

#define WASM_IR_BRCMP(X)                                                                           \
	X(BR_IF_I32_EQZ, 2, 2)                                                                     \
	X(BR_IF_I32_NEZ, 2, 2)                                                                     \
	X(BR_IF_I32_EQ, 3, 4)                                                                      \
	X(BR_IF_I32_NE, 3, 4)                                                                      \
	X(BR_IF_I32_LT_S, 3, 4)                                                                    \
	X(BR_IF_I32_LT_U, 3, 4)                                                                    \
	X(BR_IF_I32_GT_S, 3, 4)                                                                    \
	X(BR_IF_I32_GT_U, 3, 4)                                                                    \
	X(BR_IF_I32_LE_S, 3, 4)                                                                    \
	X(BR_IF_I32_LE_U, 3, 4)                                                                    \
	X(BR_IF_I32_GE_S, 3, 4)                                                                    \
	X(BR_IF_I32_GE_U, 3, 4)                                                                    \
	X(BR_IF_I32_EQ_I, 3, 4)                                                                    \
	X(BR_IF_I32_NE_I, 3, 4)                                                                    \
	X(BR_IF_I32_LT_S_I, 3, 4)                                                                  \
	X(BR_IF_I32_LT_U_I, 3, 4)                                                                  \
	X(BR_IF_I32_GT_S_I, 3, 4)                                                                  \
	X(BR_IF_I32_GT_U_I, 3, 4)                                                                  \
	X(BR_IF_I32_LE_S_I, 3, 4)                                                                  \
	X(BR_IF_I32_LE_U_I, 3, 4)                                                                  \
	X(BR_IF_I32_GE_S_I, 3, 4)                                                                  \
	X(BR_IF_I32_GE_U_I, 3, 4)

/*
 * The accumulator: these i32 operators also leave their result in a register
 * of the interpreter, and each has an _A twin (same cells) that takes operand
 * a from that register instead of its slot. compile.c uses a twin only when
 * the instruction right before (no label between) wrote a and the register
 * (an operator below or an i32 load), which saves a store-to-load round trip
 * on dependent chains. The same holds for i64 (its own register; written also
 * by i64.load) and f64 (add, sub, mul, div; written also by f64.load).
 */
#define WASM_IR_ACC_BASES(Y)                                                                       \
	Y(I32_ADD)                                                                                 \
	Y(I32_SUB)                                                                                 \
	Y(I32_MUL)                                                                                 \
	Y(I32_AND)                                                                                 \
	Y(I32_OR)                                                                                  \
	Y(I32_XOR)                                                                                 \
	Y(I32_SHL)                                                                                 \
	Y(I32_SHR_S)                                                                               \
	Y(I32_SHR_U)                                                                               \
	Y(I32_ADD_I)                                                                               \
	Y(I32_SUB_I)                                                                               \
	Y(I32_MUL_I)                                                                               \
	Y(I32_AND_I)                                                                               \
	Y(I32_OR_I)                                                                                \
	Y(I32_XOR_I)                                                                               \
	Y(I32_SHL_I)                                                                               \
	Y(I32_SHR_S_I)                                                                             \
	Y(I32_SHR_U_I)                                                                             \
	Y(I32_RSUB_I)

#define WASM_IR_ACCOPS(X)                                                                          \
	X(I32_ADD_A, 3, 0)                                                                         \
	X(I32_SUB_A, 3, 0)                                                                         \
	X(I32_MUL_A, 3, 0)                                                                         \
	X(I32_AND_A, 3, 0)                                                                         \
	X(I32_OR_A, 3, 0)                                                                          \
	X(I32_XOR_A, 3, 0)                                                                         \
	X(I32_SHL_A, 3, 0)                                                                         \
	X(I32_SHR_S_A, 3, 0)                                                                       \
	X(I32_SHR_U_A, 3, 0)                                                                       \
	X(I32_ADD_I_A, 3, 0)                                                                       \
	X(I32_SUB_I_A, 3, 0)                                                                       \
	X(I32_MUL_I_A, 3, 0)                                                                       \
	X(I32_AND_I_A, 3, 0)                                                                       \
	X(I32_OR_I_A, 3, 0)                                                                        \
	X(I32_XOR_I_A, 3, 0)                                                                       \
	X(I32_SHL_I_A, 3, 0)                                                                       \
	X(I32_SHR_S_I_A, 3, 0)                                                                     \
	X(I32_SHR_U_I_A, 3, 0)                                                                     \
	X(I32_RSUB_I_A, 3, 0)

#define WASM_IR_ACC64_BASES(Y)                                                                     \
	Y(I64_ADD)                                                                                 \
	Y(I64_SUB)                                                                                 \
	Y(I64_MUL)                                                                                 \
	Y(I64_AND)                                                                                 \
	Y(I64_OR)                                                                                  \
	Y(I64_XOR)                                                                                 \
	Y(I64_SHL)                                                                                 \
	Y(I64_SHR_S)                                                                               \
	Y(I64_SHR_U)                                                                               \
	Y(I64_ADD_I)                                                                               \
	Y(I64_SUB_I)                                                                               \
	Y(I64_MUL_I)                                                                               \
	Y(I64_AND_I)                                                                               \
	Y(I64_OR_I)                                                                                \
	Y(I64_XOR_I)                                                                               \
	Y(I64_SHL_I)                                                                               \
	Y(I64_SHR_S_I)                                                                             \
	Y(I64_SHR_U_I)                                                                             \
	Y(I64_RSUB_I)

#define WASM_IR_ACCF_BASES(Y)                                                                      \
	Y(F64_ADD)                                                                                 \
	Y(F64_SUB)                                                                                 \
	Y(F64_MUL)                                                                                 \
	Y(F64_DIV)

#define WASM_IR_ACCOPS64(X)                                                                        \
	X(I64_ADD_A, 3, 0)                                                                         \
	X(I64_SUB_A, 3, 0)                                                                         \
	X(I64_MUL_A, 3, 0)                                                                         \
	X(I64_AND_A, 3, 0)                                                                         \
	X(I64_OR_A, 3, 0)                                                                          \
	X(I64_XOR_A, 3, 0)                                                                         \
	X(I64_SHL_A, 3, 0)                                                                         \
	X(I64_SHR_S_A, 3, 0)                                                                       \
	X(I64_SHR_U_A, 3, 0)                                                                       \
	X(I64_ADD_I_A, 3, 0)                                                                       \
	X(I64_SUB_I_A, 3, 0)                                                                       \
	X(I64_MUL_I_A, 3, 0)                                                                       \
	X(I64_AND_I_A, 3, 0)                                                                       \
	X(I64_OR_I_A, 3, 0)                                                                        \
	X(I64_XOR_I_A, 3, 0)                                                                       \
	X(I64_SHL_I_A, 3, 0)                                                                       \
	X(I64_SHR_S_I_A, 3, 0)                                                                     \
	X(I64_SHR_U_I_A, 3, 0)                                                                     \
	X(I64_RSUB_I_A, 3, 0)                                                                      \
	X(F64_ADD_A, 3, 0)                                                                         \
	X(F64_SUB_A, 3, 0)                                                                         \
	X(F64_MUL_A, 3, 0)                                                                         \
	X(F64_DIV_A, 3, 0)

#define WASM_IR_FUSED(X) WASM_IR_IMMOPS(X) WASM_IR_BRCMP(X) WASM_IR_ACCOPS(X) WASM_IR_ACCOPS64(X)

#define WASM_IR_ALL(X)                                                                             \
	WASM_IR_CONTROL(X) WASM_IR_MEMOPS(X) WASM_IR_UNOPS(X) WASM_IR_BINOPS(X) WASM_IR_FUSED(X)

enum wasm_ir_op {
#define WASM_IR_ENUM(name, n, m) WASM_OP_##name,
	WASM_IR_ALL(WASM_IR_ENUM)
#undef WASM_IR_ENUM
	    WASM_OP_COUNT_
};

/* Operand cells of op (BR_TABLE: the fixed part only). */
extern const uint8_t wasm_ir_ncells[WASM_OP_COUNT_];
/* Bit k set when operand k of op is a label. */
extern const uint8_t wasm_ir_labels[WASM_OP_COUNT_];
/* Name of op for dumps ("I32_ADD"). */
extern const char *const wasm_ir_names[WASM_OP_COUNT_];

#endif
