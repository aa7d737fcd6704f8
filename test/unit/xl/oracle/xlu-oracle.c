/*
 * Test oracle: reads an xl.cfg file with Xen's own libxlutil (the parser `xl create` uses) and
 * prints, as one JSON object, what xl would read for the keys named on the command line.
 * For `disk` it also runs every list item through xlu_disk_parse, and for `vif` every `rate=`
 * through xlu_vif_parse_rate, so the tests compare our renderer against the real parser.
 *
 * Usage: xlu-oracle FILE KEY...      (built by test/unit/xl/oracle.ts when libxlutil.h exists)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libxlutil.h>

static void json_string(const char *s) {
    const unsigned char *p = (const unsigned char *)s;
    putchar('"');
    for (; *p; p++) {
        if (*p == '"' || *p == '\\') { putchar('\\'); putchar(*p); }
        else if (*p < 0x20 || *p == 0x7f) printf("\\u%04x", *p);
        else putchar(*p);
    }
    putchar('"');
}

static void json_nullable(const char *s) {
    if (s) json_string(s); else fputs("null", stdout);
}

int main(int argc, char **argv) {
    XLU_Config *cfg;
    int i, e;

    if (argc < 2) { fprintf(stderr, "usage: %s FILE KEY...\n", argv[0]); return 2; }
    cfg = xlu_cfg_init(stderr, argv[1]);
    if (!cfg) { perror("xlu_cfg_init"); return 2; }
    e = xlu_cfg_readfile(cfg, argv[1]);
    if (e) {
        printf("{\"parseError\":%d}\n", e);
        return 0;
    }
    fputs("{\"keys\":{", stdout);
    for (i = 2; i < argc; i++) {
        const char *key = argv[i];
        XLU_ConfigList *list = NULL;
        int n = 0, j;
        const char *str = NULL;
        long l;

        if (i > 2) putchar(',');
        json_string(key);
        putchar(':');
        if (!xlu_cfg_get_list(cfg, key, &list, &n, 1)) {
            fputs("{\"list\":[", stdout);
            for (j = 0; j < n; j++) {
                if (j) putchar(',');
                json_nullable(xlu_cfg_get_listitem(list, j));
            }
            fputs("]", stdout);
            if (!strcmp(key, "disk")) {
                fputs(",\"disks\":[", stdout);
                for (j = 0; j < n; j++) {
                    libxl_device_disk disk;
                    const char *spec = xlu_cfg_get_listitem(list, j);
                    if (j) putchar(',');
                    libxl_device_disk_init(&disk);
                    e = xlu_disk_parse(cfg, 1, &spec, &disk);
                    if (e) {
                        printf("{\"error\":%d}", e);
                    } else {
                        fputs("{\"pdev_path\":", stdout); json_nullable(disk.pdev_path);
                        fputs(",\"vdev\":", stdout); json_nullable(disk.vdev);
                        printf(",\"format\":\"%s\"", libxl_disk_format_to_string(disk.format));
                        printf(",\"readwrite\":%d,\"is_cdrom\":%d}", disk.readwrite, disk.is_cdrom);
                    }
                    libxl_device_disk_dispose(&disk);
                }
                fputs("]", stdout);
            }
            if (!strcmp(key, "vif")) {
                fputs(",\"rates\":[", stdout);
                for (j = 0; j < n; j++) {
                    const char *item = xlu_cfg_get_listitem(list, j);
                    const char *r = item ? strstr(item, "rate=") : NULL;
                    if (j) putchar(',');
                    if (!r) { fputs("null", stdout); continue; }
                    {
                        char buf[256];
                        libxl_device_nic nic;
                        size_t k = 0;
                        r += 5;
                        while (r[k] && r[k] != ',' && k < sizeof(buf) - 1) { buf[k] = r[k]; k++; }
                        buf[k] = 0;
                        libxl_device_nic_init(&nic);
                        e = xlu_vif_parse_rate(cfg, buf, &nic);
                        if (e) printf("{\"error\":%d}", e);
                        else printf("{\"bytes_per_interval\":%llu,\"interval_usecs\":%u}",
                                    (unsigned long long)nic.rate_bytes_per_interval,
                                    nic.rate_interval_usecs);
                        libxl_device_nic_dispose(&nic);
                    }
                }
                fputs("]", stdout);
            }
            putchar('}');
        } else if (!xlu_cfg_get_string(cfg, key, &str, 1)) {
            fputs("{\"string\":", stdout);
            json_string(str);
            if (!xlu_cfg_get_long(cfg, key, &l, 1)) printf(",\"long\":%ld", l);
            putchar('}');
        } else {
            fputs("null", stdout);
        }
    }
    fputs("}}\n", stdout);
    xlu_cfg_destroy(cfg);
    return 0;
}
