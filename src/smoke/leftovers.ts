import {
  leftoverVerdict,
  type ContainerOwner,
  type Liveness,
  type RemovedContainer,
} from '../model/container-owner.js'
import type { ContainerEngine } from '../ports/engine.js'

/**
 * Removes the containers that earlier runs of the action left on this engine (a run killed
 * during its smoke tests cannot remove its own), once their run is certainly over.
 */
export async function removeEarlierLeftovers(
  engine: Pick<ContainerEngine, 'labelledContainers' | 'remove'>,
  self: ContainerOwner,
  alive: Liveness,
  now: number = Date.now(),
): Promise<RemovedContainer[]> {
  const removed: RemovedContainer[] = []
  for (const container of await engine.labelledContainers()) {
    const verdict = leftoverVerdict(container, self, now, alive)
    if (!verdict.remove) continue
    await engine.remove(container.id)
    const { run, repository } = container.owner
    removed.push({ name: container.name, run, repository, reason: verdict.reason })
  }
  return removed
}

/** Removes every container of one run attempt (its post step: the run is over by then). */
export async function removeRunContainers(
  engine: Pick<ContainerEngine, 'labelledContainers' | 'remove'>,
  run: string,
  repository: string,
): Promise<RemovedContainer[]> {
  const removed: RemovedContainer[] = []
  for (const container of await engine.labelledContainers()) {
    if (container.owner.run !== run || container.owner.repository !== repository) continue
    await engine.remove(container.id)
    removed.push({ name: container.name, run, repository, reason: 'left by this run' })
  }
  return removed
}
