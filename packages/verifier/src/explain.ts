/**
 * For learners: what a rejection means and how to fix it. A table from the kernel's final error line
 * (as a pattern) to a plain-language explanation; first match wins.
 */
const TABLE: ReadonlyArray<[RegExp, string]> = [
  [/^R(\d+) offset is outside of the packet$/, 'The program reads or writes packet bytes (through R$1) before proving they are inside the packet. Compare first, e.g. `if (data + sizeof(struct ethhdr) > data_end) return XDP_PASS;`, then access only what the check covered.'],
  [/^R(\d+) invalid mem access 'map_value_or_null'$/, 'bpf_map_lookup_elem() can return NULL. Check the result (`if (!val) return 0;`) before reading or writing through R$1.'],
  [/^R(\d+) invalid mem access 'scalar'$/, 'R$1 holds a number, not a pointer the verifier knows, so it cannot be dereferenced. Use a pointer from the context, the stack, a map lookup or a helper.'],
  [/^R(\d+) invalid mem access '(\w+)'$/, 'R$1 has type $2, which cannot be dereferenced this way (null-check _or_null pointers; pkt_end is only for comparisons).'],
  [/^R(\d+) !read_ok$/, 'R$1 is read before anything was written to it. Helper calls clobber R1-R5 (only R0 holds the result, R6-R9 survive): keep values you need across a call in R6-R9 or on the stack.'],
  [/^invalid bpf_context access off=(\d+) size=(\d+)$/, 'The program reads or writes the context at offset $1 with size $2, which this program type does not allow (wrong field, wrong size, or a read-only field). Check the context struct for this program type.'],
  [/would lead to reference leak$/, 'An object acquired earlier (bpf_ringbuf_reserve, bpf_sk_lookup_*; see the `Unreleased reference id=N alloc_insn=M` line above) is still held when the program exits. Submit/discard or release it on every path, including error paths.'],
  [/^Unreleased reference id=(\d+) alloc_insn=(\d+)$/, 'The object acquired at instruction $2 (e.g. bpf_ringbuf_reserve, bpf_sk_lookup_*) is not released on every path. Submit/discard it (or call bpf_sk_release) before each return, including error paths.'],
  [/^infinite loop detected at insn (\d+)$|^old state:/, 'The verifier found a loop whose state does not change between iterations, so it can never end. Make the loop condition depend on a counter with a constant bound.'],
  [/^BPF program is too large\. Processed (\d+) insn$/, 'Verification explored more than 1,000,000 instructions. Bound loops with small constants, or use bpf_loop() for long iterations; split work into tail calls.'],
  [/^R(\d+) min value is negative/, 'An index or size in R$1 may be negative. Use an unsigned type or check `if (idx < 0)` / mask it (`idx &= MAX - 1`) before using it.'],
  [/^R(\d+) (min|max) value is outside of the allowed memory range$/, 'An access through R$1 may fall outside the map value or memory. Check the offset against the value size before the access.'],
  [/^R(\d+) unbounded memory access/, 'The offset or size in R$1 has no upper bound. Add `if (n > MAX) return 0;` or `n &= MAX - 1;` before using it.'],
  [/^R(\d+) invalid zero-sized read/, 'The size argument in R$1 may be zero where the helper needs at least one byte. Check `if (len == 0)` first or use a size of at least 1.'],
  [/^R(\d+) type=(\S+) expected=(.*)$/, 'Helper argument R$1 has type $2 but the helper expects one of: $3. Pass the right kind of pointer or value (e.g. the map itself, or a pointer to a key on the stack).'],
  [/^program of this type cannot use helper (\w+)#(\d+)$/, 'Helper $1 is not available to this program type. Pick a helper allowed for this hook, or a program type that has it.'],
  [/^invalid func (\w+)#(-?\d+)$/, 'There is no helper with id $2 in this kernel.'],
  [/^R(\d+) pointer (\S+) pointer prohibited$/, 'Two pointers cannot be combined with $2. Only pointer - pointer is allowed (it yields a number).'],
  [/^R(\d+) 32-bit pointer arithmetic prohibited$/, 'Pointer arithmetic must use 64-bit instructions; a 32-bit ALU op would truncate the pointer.'],
  [/^dereference of modified (\w+) ptr R(\d+) off=(-?\d+) disallowed$/, 'The $1 pointer in R$2 was moved by $3 bytes; this pointer type must be used unmodified. Put the offset in the load instruction instead (e.g. `*(u32 *)(r1 + 4)`).'],
  [/^invalid (write to|read from|indirect access to) stack R(\d+) off=(-?\d+) size=(\d+)$/, 'The stack access at offset $3 (size $4) is outside the 512-byte stack [-512, 0).'],
  [/^misaligned stack access/, 'Stack accesses must be aligned to their size. Use an offset that is a multiple of the access size.'],
  [/^div by zero$/, 'Division or modulo by the constant 0.'],
  [/^invalid shift (-?\d+)$/, 'Shift by $1 is out of range: 0..63 for 64-bit, 0..31 for 32-bit operations.'],
  [/uses reserved fields$/, 'The instruction sets fields that must be zero for its opcode. The encoding is invalid (often a hand-assembled instruction).'],
  [/^unknown opcode ([0-9a-f]+)$/, 'Opcode 0x$1 is not a valid eBPF instruction.'],
  [/^last insn is not an exit or jmp$/, 'The program (or a subprogram) can run off its end. Finish every path with `exit` or a jump.'],
  [/^jump out of range from insn (\d+) to (-?\d+)$/, 'The jump at instruction $1 targets $2, outside the program or its subprogram.'],
  [/^jump into the middle of ldimm64 insn (\d+)$/, 'A jump lands on the second half of the 16-byte lddw at instruction $1.'],
  [/^unreachable insn (\d+)$/, 'Instruction $1 can never run. The kernel refuses dead code: remove it.'],
  [/^call to invalid destination$/, 'A bpf-to-bpf call targets an address outside the program.'],
  [/^the call stack of (\d+) frames is too deep/, 'bpf-to-bpf calls nest $1 deep; the limit is 8 frames.'],
  [/^combined stack size of (\d+) calls is (\d+)\. Too large$/, 'The stack used along the call chain adds up to $2 bytes; the limit is 512. Use smaller locals or a per-CPU array map as scratch space.'],
  [/^invalid bpf_ld_imm64 insn$/, 'A 64-bit immediate load (lddw) needs two instruction slots; the second one is missing or malformed.'],
  [/^At program exit the register R0 (has|is not)/, 'The program returns a value this program type does not accept. Return one of the allowed codes.'],
  [/^R(\d+) leaks addr/, 'A pointer would leak to where only numbers may go.'],
  [/^cannot pass map_type (\d+) into func (\w+)#(\d+)$/, 'Helper $2 does not work with this kind of map (type $1). Use the map type the helper is made for.'],
  [/^BPF_LD_\[ABS\|IND\] instructions not allowed for this program type$/, 'Legacy packet loads (LD_ABS/LD_IND) are only for socket filters and tc programs.'],
  [/^helper call might sleep in a non-sleepable prog$/, 'This helper may sleep and is only allowed in sleepable programs (SEC("...s")).'],
];

/** A short explanation and fix for the kernel's final error line, or undefined when none is known. */
export function explain(error: string): string | undefined {
  for (const [re, text] of TABLE) {
    const m = re.exec(error);
    if (m) return text.replace(/\$(\d)/g, (_, k: string) => m[Number(k)] ?? '');
  }
  return undefined;
}
