import { Construct, type IConstruct } from "constructs";
import { volumeNameProblem } from "../model/names.js";
import type { Size } from "../model/size.js";
import { DiskFormat, RetentionPolicy, type VolumeSpec } from "../model/spec.js";
import { reportTokens, type ProblemLog, type Suppressions } from "./analysis.js";
import { XenConstructError, problem } from "./errors.js";
import type { XenHost } from "./host.js";
import { LifecycleResourceHandle, ProvisionerCommand, ResourceKind } from "./resources.js";
import type { XenStoragePool } from "./storage-pool.js";

/** A volume a domain's disk can use: one this program manages ({@link XenVolume}) or an existing one. */
export interface IXenVolume extends IConstruct {
  /** The pool holding the volume. */
  readonly pool: XenStoragePool;
  /** The host of the pool. */
  readonly host: XenHost;
  /** LV name (LVM pool) or file name (directory pool). */
  readonly name: string;
  /** How the volume's data is laid out. */
  readonly format: DiskFormat;
  /** The volume's path on dom0 (`/dev/VG/NAME` or `DIR/NAME`): the disk's target. */
  readonly path: string;
  /** True when this program creates (and may delete) the volume; false for `fromExisting`. */
  readonly managed: boolean;
  /** @internal The volume's lifecycle resource; undefined for an existing volume. */
  readonly _handle: LifecycleResourceHandle | undefined;
  /** @internal Files the volume's own problems. */
  _check(log: ProblemLog): void;
}

/** A volume this program manages. */
export interface XenVolumeProps {
  /** The pool to create the volume in; the volume lives on the pool's host. */
  readonly pool: XenStoragePool;
  /**
   * Size of the volume: a whole number of MiB (LVM rounds to its extent size, 4 MiB by
   * default, upward). Volumes grow in place; a smaller size is refused, never applied.
   */
  readonly size: Size;
  /**
   * Layout of the data: `raw` for an LVM pool; `raw` or `qcow2` for a directory pool.
   * @default DiskFormat.RAW
   * @see https://xenbits.xen.org/docs/4.17-testing/man/xl-disk-configuration.5.html
   */
  readonly format?: DiskFormat;
  /**
   * What happens to the data when the volume is removed from the program (or `cdktf destroy`
   * runs): `retain` keeps the LV or file, `delete` removes it. To delete a volume that was
   * declared `retain`, deploy the change to `delete` first, then remove the volume: the
   * destroy uses the retention Terraform recorded.
   * @default RetentionPolicy.RETAIN
   */
  readonly retention?: RetentionPolicy;
  /**
   * LV or file name, unique in the pool (LVM's name rules).
   * @default - the construct id
   */
  readonly name?: string;
}

/** An existing volume, for {@link XenVolume.fromExisting}. */
export interface ExistingXenVolumeProps {
  /** The pool the volume is in. */
  readonly pool: XenStoragePool;
  /** LV or file name in the pool. */
  readonly name: string;
  /**
   * Size of the volume, for readers of the program; cdktf-xen neither checks nor changes it.
   * @default - not stated
   */
  readonly size?: Size;
  /**
   * Layout of the data.
   * @default DiskFormat.RAW
   */
  readonly format?: DiskFormat;
}

/**
 * A logical volume (LVM pool) or a raw/qcow2 image file (directory pool) that this program
 * creates, grows and — only when its retention is `delete` — removes.
 *
 * Its resource is replaced only when its identity (host, pool, name) changes; size, format
 * and retention change in place, so growing a volume never runs its destroy.
 */
export class XenVolume extends Construct implements IXenVolume {
  /**
   * A volume the program did not create, for a domain's disk. It has no resource: cdktf-xen
   * never creates, grows or deletes it, and it is not part of the host's spec (the disk
   * refers to its path).
   */
  static fromExisting(scope: Construct, id: string, props: ExistingXenVolumeProps): IXenVolume {
    if (typeof props.name !== "string" || props.name === "") {
      throw new XenConstructError(`${scope.node.path}/${id}`, {
        what: "XenVolume.fromExisting needs the existing volume's name",
        fix: "pass { pool, name } with the LV or file name as it is on dom0",
      });
    }
    return new ExistingXenVolume(scope, id, props);
  }

  readonly pool: XenStoragePool;
  readonly host: XenHost;
  readonly name: string;
  readonly format: DiskFormat;
  /** What happens to the data when the volume is removed. */
  readonly retention: RetentionPolicy;
  /** The declared size. */
  readonly size: Size;
  readonly managed = true;
  /** @internal */
  readonly _handle: LifecycleResourceHandle;

  constructor(scope: Construct, id: string, props: XenVolumeProps) {
    super(scope, id);
    this.pool = props.pool;
    this.host = props.pool.host;
    this.name = props.name ?? id;
    this.format = props.format ?? DiskFormat.RAW;
    this.retention = props.retention ?? RetentionPolicy.RETAIN;
    this.size = props.size;

    this._handle = new LifecycleResourceHandle(this, "volume", {
      type: this.host.lifecycleResource,
      generation: () => this.host._generation,
      replace: () => ({ cdktf_xen: ResourceKind.VOLUME, host: this.host.hostId, pool: this.pool.name, name: this.name }),
      input: () => ({
        cdktf_xen: ResourceKind.VOLUME,
        host: this.host.hostId,
        pool: this.pool.toSpec(),
        volume: this.toSpec(),
        connection: this.host.connection,
      }),
      nullIgnoreChanges: ["connection"],
      // A null_resource cannot change in place: replacing it with create_before_destroy
      // skips the old instance's destroy-volume, so growing a volume or switching its
      // retention never deletes it (a plain destroy still runs destroy-volume).
      nullCreateBeforeDestroy: true,
      provisioner: { command: ProvisionerCommand.DESTROY_VOLUME, when: "destroy" },
    });
    this.host._registerVolume(this, this._handle);
    this.node.addValidation({ validate: () => [...this.host._problemsFor(this)] });
  }

  /** The volume's path on dom0 (`/dev/VG/NAME` or `DIR/NAME`). */
  get path(): string {
    return this.pool.volumePath(this.name);
  }

  /**
   * The volume's canonical spec.
   * @throws XenModelError when the size is not a whole number of MiB
   */
  toSpec(): VolumeSpec {
    return this.spec(this.size.toMebibytes());
  }

  /** @internal */
  _check(log: ProblemLog): void {
    void log;
  }

  /** @internal The spec, filing this volume's own problems in `log`. */
  _build(log: ProblemLog, suppress: Suppressions): VolumeSpec {
    let sizeMiB: number;
    if (this.size.isWholeMebibytes()) {
      sizeMiB = this.size.toMebibytes();
    } else {
      sizeMiB = Math.ceil(this.size.toBytes() / MIB);
      suppress.add(".sizeMiB");
      log.add(
        this,
        problem({
          what: `size ${this.size.toString()} is not a whole number of MiB`,
          why: "volumes are created in MiB and cdktf-xen never rounds silently",
          fix: `declare Size.mebibytes(${String(sizeMiB)}) or Size.mebibytes(${String(sizeMiB - 1)})`,
        }),
        true,
      );
    }
    const spec = this.spec(sizeMiB);
    if (reportTokens(log, this, spec, "volume")) suppress.add("");
    return spec;
  }

  private spec(sizeMiB: number): VolumeSpec {
    return { name: this.name, pool: this.pool.name, sizeMiB, format: this.format, retention: this.retention };
  }
}

const MIB = 1024 * 1024;

/** What `XenVolume.fromExisting` returns: a name and a path, no resource. */
class ExistingXenVolume extends Construct implements IXenVolume {
  readonly pool: XenStoragePool;
  readonly host: XenHost;
  readonly name: string;
  readonly format: DiskFormat;
  readonly managed = false;
  readonly _handle = undefined;

  constructor(scope: Construct, id: string, props: ExistingXenVolumeProps) {
    super(scope, id);
    this.pool = props.pool;
    this.host = props.pool.host;
    this.name = props.name;
    this.format = props.format ?? DiskFormat.RAW;
    this.host._registerVolume(this, undefined);
    this.node.addValidation({ validate: () => [...this.host._problemsFor(this)] });
  }

  get path(): string {
    return this.pool.volumePath(this.name);
  }

  _check(log: ProblemLog): void {
    if (reportTokens(log, this, { name: this.name, format: this.format }, "volume")) return;
    const nameProblem = volumeNameProblem(this.name);
    if (nameProblem !== undefined) log.add(this, nameProblem);
    if (!Object.values(DiskFormat).includes(this.format)) {
      log.add(
        this,
        problem({
          what: `format ${JSON.stringify(this.format)} is not one of ${Object.values(DiskFormat).join(", ")}`,
          fix: "give the format the existing volume has",
        }),
      );
    }
  }
}
