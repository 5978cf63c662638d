import type { NodeSummary } from '../../src/protocol/tree-types.js';
import type { PlacementThresholds } from '../config.js';

const MiB = 1024 * 1024;

/**
 * The placement thresholds a node's figures are past, each as a phrase
 * (`load 9.5 > placement_max_load 8`): `node: "auto"` skips such a node and
 * `cortex nodes` marks it.
 */
export function pastThresholds(summary: NodeSummary, limits: PlacementThresholds): string[] {
  const past: string[] = [];
  if (summary.load > limits.maxLoad) past.push(`load ${round(summary.load)} > placement_max_load ${limits.maxLoad}`);
  if (summary.disk_free !== null && summary.disk_free < limits.minDiskBytes) {
    past.push(`free disk ${mib(summary.disk_free)} < placement_min_disk_bytes ${mib(limits.minDiskBytes)}`);
  }
  if (summary.mem_free < limits.minFreeMemory) {
    past.push(`free memory ${mib(summary.mem_free)} < placement_min_free_memory ${mib(limits.minFreeMemory)}`);
  }
  return past;
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

function mib(bytes: number): string {
  return `${Math.round(bytes / MiB)} MiB`;
}
