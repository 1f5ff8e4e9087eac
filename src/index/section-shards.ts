/**
 * Which vector shards hold each section's windows, kept compactly for a build of any size: most
 * sections have one window, so one number per section, and a list only for the few whose windows
 * fell in several shards. The filter table lists a value's shards from it; each section's bucket
 * entry lists its own (index version 8).
 */
export class SectionShards {
  private readonly first: Int32Array;
  private readonly more = new Map<number, number[]>();

  constructor(sections: number) {
    this.first = new Int32Array(sections).fill(-1);
  }

  /** Section `section` has a window in shard `shard`. */
  add(section: number, shard: number): void {
    const first = this.first[section]!;
    if (first === -1) this.first[section] = shard;
    else if (first !== shard) {
      const list = this.more.get(section);
      if (list === undefined) this.more.set(section, [first, shard]);
      else if (!list.includes(shard)) list.push(shard);
    }
  }

  /** The shards holding section `section`, ascending (empty when none was added). */
  of(section: number): number[] {
    const list = this.more.get(section);
    if (list !== undefined) return [...list].sort((a, b) => a - b);
    const first = this.first[section]!;
    return first === -1 ? [] : [first];
  }
}
