/*
 * libbpf-load: open an eBPF object with the system libbpf and load each of its
 * programs into the running kernel, one program per bpf_object__load() so that
 * one refusal does not hide the others. Nothing is ever attached, and map
 * pinning is switched off so nothing is left in bpffs.
 *
 * Output: one JSON line per program:
 *   {"name":..,"section":..,"type":N,"expected_attach_type":N,"accepted":bool,
 *    "errno":N,"log":"<last non-empty verifier log line>","insns":"<hex of the final
 *    instructions libbpf passed to the kernel>","map_fds":{"name":fd,...},
 *    "xlated_len":N,"func_info":[[insn,type_id],...],"line_info":[[insn,"file",line,col,"source"],...],
 *    "datasecs":[["name",size,[["var",offset,size,linkage],...]],...]}
 * (func/line info as the kernel reports it back for the loaded program; insn offsets
 * are in the kernel's rewritten program of xlated_len slots).
 *
 * With --maps, first one JSON line per map as libbpf defines it at open time:
 *   {"map":..,"type":N,"key_size":N,"value_size":N,"max_entries":N,"map_flags":N,
 *    "btf_key_type_id":N,"btf_value_type_id":N}
 *
 * With --sec NAME..., instead: one line per SEC() name with what this libbpf makes of it
 * (libbpf_prog_type_by_name): {"sec":..,"known":bool,"type":N,"expected_attach_type":N}.
 *
 * With --kernel-maps, after each successful load one line per map libbpf created, with the
 * name the kernel keeps for it (BPF_OBJ_GET_INFO_BY_FD), libbpf's own rules applied:
 *   {"kmap":"<libbpf's name>","kernel_name":"<bpf_map_info.name>","type":N,"max_entries":N}
 *
 * With --list, instead: one line per program, nothing loaded: {"prog":..,"section":..}.
 * With --only NAME, only that program is loaded (autoload off for the others), as a
 * user's loader that wants one program would do.
 *
 * usage: libbpf-load [--set PROG=TYPE:ATTACH]... [--no-insns] [--maps] [--kernel-maps] [--only PROG] OBJ
 *        libbpf-load --list OBJ
 *        libbpf-load --sec NAME...
 *   --set   overrides the program type/expected attach type (for SEC() names this
 *           libbpf version does not know yet, e.g. tcx/ingress in libbpf < 1.3).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>

#define LOG_SIZE (16u << 20)
#define MAX_SETS 64

struct override { char name[128]; int type; int attach; };
static struct override sets[MAX_SETS];
static int nsets;
static char *log_buf;
static int with_kernel_maps;

static int silent_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level; (void)fmt; (void)ap;
	return 0;
}

static void json_str(const char *s)
{
	putchar('"');
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\') printf("\\%c", c);
		else if (c < 0x20) printf("\\u%04x", c);
		else putchar(c);
	}
	putchar('"');
}

static const char *last_line(char *log)
{
	size_t n = strlen(log);
	while (n > 0 && (log[n - 1] == '\n' || log[n - 1] == ' ')) log[--n] = 0;
	char *nl = strrchr(log, '\n');
	return nl ? nl + 1 : log;
}

static void apply_sets(struct bpf_program *prog)
{
	for (int k = 0; k < nsets; k++) {
		if (strcmp(sets[k].name, bpf_program__name(prog)) == 0) {
			bpf_program__set_type(prog, sets[k].type);
			bpf_program__set_expected_attach_type(prog, sets[k].attach);
		}
	}
}

/* func_info and line_info as the kernel keeps them (BPF_OBJ_GET_INFO_BY_FD), strings from the program's BTF. */
static void print_btf_info(int fd)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	struct bpf_func_info *fi = NULL;
	struct bpf_line_info *li = NULL;
	struct btf *btf = NULL;

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return;
	__u32 nfi = info.nr_func_info, nli = info.nr_line_info, btf_id = info.btf_id;
	__u32 fi_sz = info.func_info_rec_size, li_sz = info.line_info_rec_size;
	printf(",\"xlated_len\":%u", info.xlated_prog_len / 8);
	if (!btf_id || (!nfi && !nli))
		return;
	fi = calloc(nfi ? nfi : 1, fi_sz ? fi_sz : sizeof(*fi));
	li = calloc(nli ? nli : 1, li_sz ? li_sz : sizeof(*li));
	memset(&info, 0, sizeof(info));
	info.nr_func_info = nfi;
	info.func_info_rec_size = fi_sz;
	info.func_info = (__u64)(unsigned long)fi;
	info.nr_line_info = nli;
	info.line_info_rec_size = li_sz;
	info.line_info = (__u64)(unsigned long)li;
	len = sizeof(info);
	if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0)
		btf = btf__load_from_kernel_by_id(btf_id);
	if (btf) {
		printf(",\"func_info\":[");
		for (__u32 k = 0; k < nfi; k++) {
			const struct bpf_func_info *r = (const void *)((const char *)fi + k * fi_sz);
			printf("%s[%u,%u]", k ? "," : "", r->insn_off, r->type_id);
		}
		printf("],\"line_info\":[");
		for (__u32 k = 0; k < nli; k++) {
			const struct bpf_line_info *r = (const void *)((const char *)li + k * li_sz);
			printf("%s[%u,", k ? "," : "", r->insn_off);
			json_str(btf__name_by_offset(btf, r->file_name_off));
			printf(",%u,%u,", r->line_col >> 10, r->line_col & 0x3ff);
			json_str(btf__name_by_offset(btf, r->line_off));
			printf("]");
		}
		printf("],\"datasecs\":[");
		int first = 1;
		for (__u32 id = 1; id < btf__type_cnt(btf); id++) {
			const struct btf_type *t = btf__type_by_id(btf, id);
			if (!btf_is_datasec(t))
				continue;
			printf("%s[", first ? "" : ",");
			first = 0;
			json_str(btf__name_by_offset(btf, t->name_off));
			printf(",%u,[", t->size);
			const struct btf_var_secinfo *v = btf_var_secinfos(t);
			for (__u32 k = 0; k < btf_vlen(t); k++, v++) {
				const struct btf_type *vt = btf__type_by_id(btf, v->type);
				printf("%s[", k ? "," : "");
				json_str(btf__name_by_offset(btf, vt->name_off));
				printf(",%u,%u,%u]", v->offset, v->size, btf_is_var(vt) ? btf_var(vt)->linkage : 99);
			}
			printf("]]");
		}
		printf("]");
		btf__free(btf);
	}
	free(fi);
	free(li);
}

/* The names the kernel got for the maps libbpf created (libbpf shortens and prefixes them). */
static void print_kernel_maps(struct bpf_object *obj)
{
	struct bpf_map *map;

	bpf_object__for_each_map(map, obj) {
		struct bpf_map_info info = {};
		__u32 len = sizeof(info);
		int fd = bpf_map__fd(map);

		if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len))
			continue;
		printf("{\"kmap\":");
		json_str(bpf_map__name(map));
		printf(",\"kernel_name\":");
		json_str(info.name);
		printf(",\"type\":%u,\"max_entries\":%u}\n", info.type, info.max_entries);
	}
	fflush(stdout);
}

static void report(struct bpf_object *obj, struct bpf_program *target, int err, char *log, int with_insns)
{
	struct bpf_map *map;

	printf("{\"name\":");
	json_str(bpf_program__name(target));
	printf(",\"section\":");
	json_str(bpf_program__section_name(target));
	printf(",\"type\":%d,\"expected_attach_type\":%d,\"accepted\":%s,\"errno\":%d,\"log\":",
	       bpf_program__type(target), bpf_program__expected_attach_type(target),
	       err ? "false" : "true", err ? -err : 0);
	json_str(last_line(log));
	if (with_insns && !err) {
		const struct bpf_insn *insns = bpf_program__insns(target);
		size_t cnt = bpf_program__insn_cnt(target);
		printf(",\"insns\":\"");
		for (size_t k = 0; k < cnt; k++) {
			const unsigned char *b = (const unsigned char *)&insns[k];
			for (int j = 0; j < 8; j++) printf("%02x", b[j]);
		}
		printf("\",\"map_fds\":{");
		int first = 1;
		bpf_object__for_each_map(map, obj) {
			if (bpf_map__fd(map) < 0) continue;
			printf("%s", first ? "" : ",");
			json_str(bpf_map__name(map));
			printf(":%d", bpf_map__fd(map));
			first = 0;
		}
		printf("}");
		print_btf_info(bpf_program__fd(target));
	}
	printf("}\n");
	fflush(stdout);
}

/* All programs in one load (needed when a prog array is initialised with programs). 0 = done. */
static int load_all(const char *path, int with_insns)
{
	struct bpf_object *obj = bpf_object__open_file(path, NULL);
	struct bpf_program *prog;
	struct bpf_map *map;
	char *logs[256];
	int n = 0, err;

	if (!obj)
		return -1;
	bpf_object__for_each_map(map, obj) bpf_map__set_pin_path(map, NULL);
	bpf_object__for_each_program(prog, obj) {
		if (n == 256) { bpf_object__close(obj); return -1; }
		apply_sets(prog);
		logs[n] = calloc(1, LOG_SIZE / 4);
		bpf_program__set_log_buf(prog, logs[n], LOG_SIZE / 4);
		bpf_program__set_log_level(prog, 1);
		n++;
	}
	err = bpf_object__load(obj);
	if (!err) {
		int i = 0;
		bpf_object__for_each_program(prog, obj) report(obj, prog, 0, logs[i++], with_insns);
		if (with_kernel_maps) print_kernel_maps(obj);
	}
	for (int i = 0; i < n; i++) free(logs[i]);
	bpf_object__close(obj);
	return err ? -1 : 0;
}

static int load_one(const char *path, int index, int with_insns)
{
	struct bpf_object *obj = bpf_object__open_file(path, NULL);
	struct bpf_program *prog, *target = NULL;
	struct bpf_map *map;
	int i = 0, err;

	if (!obj) {
		fprintf(stderr, "libbpf-load: %s: open failed: %s\n", path, strerror(errno));
		return -1;
	}
	bpf_object__for_each_map(map, obj) bpf_map__set_pin_path(map, NULL);
	bpf_object__for_each_program(prog, obj) {
		if (i++ == index) target = prog;
		else bpf_program__set_autoload(prog, false);
	}
	if (!target) {
		bpf_object__close(obj);
		return 1; /* no more programs */
	}
	apply_sets(target);
	log_buf[0] = 0;
	bpf_program__set_log_buf(target, log_buf, LOG_SIZE);
	bpf_program__set_log_level(target, 1);
	err = bpf_object__load(obj);
	report(obj, target, err, log_buf, with_insns);
	if (!err && with_kernel_maps) print_kernel_maps(obj);
	bpf_object__close(obj);
	return 0;
}

/* The program named `name` alone; 1 when the object has no such program. */
static int load_named(const char *path, const char *name, int with_insns)
{
	struct bpf_object *obj = bpf_object__open_file(path, NULL);
	struct bpf_program *prog;
	int i = 0;

	if (!obj) {
		fprintf(stderr, "libbpf-load: %s: open failed: %s\n", path, strerror(errno));
		return -1;
	}
	bpf_object__for_each_program(prog, obj) {
		if (strcmp(bpf_program__name(prog), name) == 0) {
			bpf_object__close(obj);
			return load_one(path, i, with_insns);
		}
		i++;
	}
	bpf_object__close(obj);
	fprintf(stderr, "libbpf-load: %s: no program %s\n", path, name);
	return 1;
}

static int list_programs(const char *path)
{
	struct bpf_object *obj = bpf_object__open_file(path, NULL);
	struct bpf_program *prog;

	if (!obj) {
		fprintf(stderr, "libbpf-load: %s: open failed: %s\n", path, strerror(errno));
		return -1;
	}
	bpf_object__for_each_program(prog, obj) {
		printf("{\"prog\":");
		json_str(bpf_program__name(prog));
		printf(",\"section\":");
		json_str(bpf_program__section_name(prog));
		printf("}\n");
	}
	bpf_object__close(obj);
	return 0;
}

static int print_maps(const char *path)
{
	struct bpf_object *obj = bpf_object__open_file(path, NULL);
	struct bpf_map *map;

	if (!obj) {
		fprintf(stderr, "libbpf-load: %s: open failed: %s\n", path, strerror(errno));
		return -1;
	}
	bpf_object__for_each_map(map, obj) {
		printf("{\"map\":");
		json_str(bpf_map__name(map));
		printf(",\"type\":%d,\"key_size\":%u,\"value_size\":%u,\"max_entries\":%u,\"map_flags\":%u,"
		       "\"btf_key_type_id\":%u,\"btf_value_type_id\":%u}\n",
		       bpf_map__type(map), bpf_map__key_size(map), bpf_map__value_size(map),
		       bpf_map__max_entries(map), bpf_map__map_flags(map),
		       bpf_map__btf_key_type_id(map), bpf_map__btf_value_type_id(map));
	}
	bpf_object__close(obj);
	return 0;
}

int main(int argc, char **argv)
{
	int with_maps = 0, list = 0;
	const char *path = NULL, *only = NULL;
	int with_insns = 1;

	if (argc > 1 && strcmp(argv[1], "--sec") == 0) {
		libbpf_set_print(silent_print);
		for (int a = 2; a < argc; a++) {
			enum bpf_prog_type t = 0;
			enum bpf_attach_type at = 0;
			int err = libbpf_prog_type_by_name(argv[a], &t, &at);
			printf("{\"sec\":");
			json_str(argv[a]);
			printf(",\"known\":%s,\"type\":%d,\"expected_attach_type\":%d}\n", err ? "false" : "true", err ? 0 : (int)t, err ? 0 : (int)at);
		}
		return 0;
	}
	for (int a = 1; a < argc; a++) {
		if (strcmp(argv[a], "--set") == 0 && a + 1 < argc && nsets < MAX_SETS) {
			struct override *o = &sets[nsets++];
			if (sscanf(argv[++a], "%127[^=]=%d:%d", o->name, &o->type, &o->attach) != 3) {
				fprintf(stderr, "libbpf-load: bad --set %s (want PROG=TYPE:ATTACH)\n", argv[a]);
				return 2;
			}
		} else if (strcmp(argv[a], "--maps") == 0) {
			with_maps = 1;
		} else if (strcmp(argv[a], "--no-insns") == 0) {
			with_insns = 0;
		} else if (strcmp(argv[a], "--kernel-maps") == 0) {
			with_kernel_maps = 1;
		} else if (strcmp(argv[a], "--list") == 0) {
			list = 1;
		} else if (strcmp(argv[a], "--only") == 0 && a + 1 < argc) {
			only = argv[++a];
		} else {
			path = argv[a];
		}
	}
	if (!path) {
		fprintf(stderr, "usage: libbpf-load [--set PROG=TYPE:ATTACH]... [--no-insns] [--maps] [--kernel-maps] [--only PROG] OBJ\n"
				"       libbpf-load --list OBJ\n");
		return 2;
	}
	if (!getenv("LIBBPF_LOAD_DEBUG"))
		libbpf_set_print(silent_print);
	if (list)
		return list_programs(path) ? 1 : 0;
	if (with_maps && print_maps(path))
		return 1;
	log_buf = calloc(1, LOG_SIZE);
	if (!log_buf) return 1;
	if (only)
		return load_named(path, only, with_insns) ? 1 : 0;
	if (load_all(path, with_insns) == 0)
		return 0;
	for (int i = 0;; i++) {
		int r = load_one(path, i, with_insns);
		if (r < 0) return 1;
		if (r > 0) break;
	}
	return 0;
}
