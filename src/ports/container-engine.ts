// The container engine port: what the steps ask of it, as intents. DockerEngine (engine.ts)
// answers through the docker CLI and the engine's socket; tests give fakes.
import type { BuildSpec } from '../build/buildx-args.js'
import type { LabelledContainer } from '../model/container-owner.js'
import type { ImageConfig } from '../model/oci.js'
import type { Platform } from '../model/platform.js'
import type { ContainerSpec } from '../smoke/docker-run-args.js'
import type { BuilderInfo, ContainerState } from './engine-output.js'
import type { CommandResult } from './process.js'

export interface EngineInfo {
  readonly serverVersion: string
  readonly buildxVersion: string
  readonly builder: BuilderInfo
  /** Whether the engine stores images in containerd (needed for multi-platform with the docker driver). */
  readonly containerdStore: boolean
}

/** How an engine action ended: the engine's error output when it failed. */
export type EngineOutcome = { readonly ok: true } | { readonly ok: false; readonly error: string }

/** A container run in the foreground: how it exited, or that it was stopped first. */
export interface ContainerRun extends CommandResult {
  /** The stop signal came first and the container was removed. */
  readonly stopped: boolean
}

/** The host port a container port is published on, or why the engine does not name one. */
export type PublishedPort =
  { readonly hostPort: number } | { readonly hostPort: undefined; readonly error: string }

export interface BuildOptions {
  /** Stamps the build: buildx reads SOURCE_DATE_EPOCH from its environment. */
  readonly sourceDateEpoch?: number
  /** Prints buildx's progress to the log as it runs. */
  readonly stream?: boolean
}

/** What the build step reads from a build: its exit code, and its log (cache use, errors). */
export interface BuildResult {
  readonly exitCode: number
  readonly stderr: string
}

/** The container engine, asked for intents: what it is, builds, and containers for smoke tests. */
export interface ContainerEngine {
  /** Aborts when the job is cancelled: smoke tests stop waiting on their containers. */
  readonly cancellation?: AbortSignal
  info(builder?: string): Promise<EngineInfo>
  /** Pulls one platform of an image (quietly) into the engine's store. */
  pull(ref: string, platform: Platform): Promise<EngineOutcome>
  /**
   * Runs a command in a new container, never pulling, and waits for it to exit; the container
   * is then removed in the background (removalsSettled). `stop` removes it at once.
   */
  run(spec: ContainerSpec, command: readonly string[], stop?: AbortSignal): Promise<ContainerRun>
  /** Starts a container in the background, with a container port published on loopback. */
  startDetached(spec: ContainerSpec, port: number): Promise<EngineOutcome>
  state(name: string): Promise<ContainerState>
  /** The last lines of a container's output and error output. */
  logs(name: string, lines: number): Promise<string>
  publishedPort(name: string, port: number): Promise<PublishedPort>
  /** Removes a container, running or not; one already gone is no error. */
  remove(name: string): Promise<void>
  /**
   * Removes a container the run no longer needs without waiting for it (removing a running
   * container takes the engine a second or more): removalsSettled waits for every one.
   */
  removeLater(name: string): void
  /** Resolves when every removal removeLater started has ended (the run waits before it exits). */
  removalsSettled(): Promise<void>
  /** Every container, of any run, that carries the action's labels. */
  labelledContainers(): Promise<LabelledContainer[]>
  removeImage(tag: string): Promise<void>
  /** Logs in to a registry; the password goes on standard input, never in the arguments. */
  login(registry: string, username: string, password: string): Promise<EngineOutcome>
  logout(registry: string): Promise<void>
  /** Builds a plan with buildx; a failure is returned, never thrown. */
  build(spec: BuildSpec, options?: BuildOptions): Promise<BuildResult>
  /** The config of an image in the engine's own store (a build loaded for a smoke test). */
  localImageConfig(ref: string): Promise<ImageConfig>
  /** Saves an image of the engine's store as an OCI image layout folder (docker save). */
  saveImage(tag: string, layout: string): Promise<EngineOutcome>
  /** Copies one file out of an image for a platform; its bytes, or undefined when absent. */
  readImageFile(ref: string, platform: string, path: string): Promise<Buffer | undefined>
}
