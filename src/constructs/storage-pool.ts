import { Construct } from "constructs";
import type { PoolSpec } from "../model/spec.js";
import { reportTokens, type ProblemLog, type Suppressions } from "./analysis.js";
import { problem } from "./errors.js";
import type { XenHost } from "./host.js";

/** Where a pool's volumes live on dom0: give exactly one of `lvmVolumeGroup` and `directory`. */
export interface XenStoragePoolProps {
  /** The host whose dom0 holds the pool. */
  readonly host: XenHost;
  /**
   * LVM volume group whose logical volumes are the pool's volumes (`/dev/VG/NAME`), served to
   * guests by blkback as `phy:` disks.
   * @default - not an LVM pool: directory must be given
   */
  readonly lvmVolumeGroup?: string;
  /**
   * Absolute directory on dom0 whose files (raw or qcow2) are the pool's volumes.
   * @default - not a directory pool: lvmVolumeGroup must be given
   */
  readonly directory?: string;
  /**
   * Pool name, unique per host; disks refer to volumes as `pool/volume`.
   * @default - the construct id
   */
  readonly name?: string;
  /**
   * The pool is shared storage: the same volume group (clustered LVM) or directory (NFS, a
   * cluster filesystem) seen at the same path by the other hosts that declare a pool of this
   * name as shared. Disks in a shared pool can move with a domain live (`xl migrate` moves
   * memory, not disks); disks in a local pool cannot. Declaring a pool shared that is not is
   * data corruption waiting to happen: a migrated guest would use the target's own volume.
   * @default false
   */
  readonly shared?: boolean;
}

/**
 * A place for volumes on one host: an LVM volume group or a directory. The pool has no
 * resource of its own: it is part of its host's spec and of every volume's recorded input,
 * and `cdktf-xen` checks that it exists before creating volumes in it (it never creates or
 * removes a volume group or directory).
 */
export class XenStoragePool extends Construct {
  /** The host whose dom0 holds the pool. */
  readonly host: XenHost;
  /** Pool name, unique per host. */
  readonly name: string;
  /** `lvm` for a volume group, `dir` for a directory. */
  readonly kind: "lvm" | "dir";
  private readonly props: XenStoragePoolProps;

  constructor(scope: Construct, id: string, props: XenStoragePoolProps) {
    super(scope, id);
    this.props = props;
    this.host = props.host;
    this.name = props.name ?? id;
    this.kind = props.directory !== undefined && props.lvmVolumeGroup === undefined ? "dir" : "lvm";
    props.host._registerPool(this);
    this.node.addValidation({ validate: () => [...this.host._problemsFor(this)] });
  }

  /**
   * The dom0 path of volume `name` in this pool: `/dev/VG/NAME` for LVM, `DIR/NAME` for a
   * directory.
   */
  volumePath(name: string): string {
    const p = this.props;
    if (this.kind === "lvm") return `/dev/${p.lvmVolumeGroup ?? ""}/${name}`;
    return `${(p.directory ?? "").replace(/\/+$/, "")}/${name}`;
  }

  /** The pool's canonical spec. */
  toSpec(): PoolSpec {
    return this.kind === "lvm"
      ? { kind: "lvm", name: this.name, volumeGroup: this.props.lvmVolumeGroup ?? "", shared: this.props.shared ?? false }
      : { kind: "dir", name: this.name, path: this.props.directory ?? "", shared: this.props.shared ?? false };
  }

  /** @internal The spec, filing this pool's own problems in `log`. */
  _build(log: ProblemLog, suppress: Suppressions): PoolSpec {
    const p = this.props;
    if ((p.lvmVolumeGroup === undefined) === (p.directory === undefined)) {
      log.add(
        this,
        problem({
          what:
            p.lvmVolumeGroup === undefined
              ? "neither lvmVolumeGroup nor directory is given"
              : "both lvmVolumeGroup and directory are given",
          fix: 'give exactly one: lvmVolumeGroup: "vg0" for LVM volumes, or directory: "/var/lib/xen/images" for image files',
        }),
      );
      suppress.add(this.kind === "lvm" ? ".volumeGroup" : ".path");
    }
    const spec = this.toSpec();
    if (reportTokens(log, this, spec, "pool")) suppress.add("");
    return spec;
  }
}
