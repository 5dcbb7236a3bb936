// Generated from action.yml by `npm run docs` (scripts/action-inputs.ts): do not edit.

/** action.yml's inputs, in its order: the default the runner passes, and the description. */
export const ACTION_INPUTS = {
  "mode": {
    default: "auto",
    description: "auto (from the event: pull requests build only, other events release), build (build every platform, push nothing), release, or build-platform (on a native runner: build, push by digest and smoke-test the one platform of platforms, and output its digest for a release job's platform-digests), or rollback (move latest and the version's other floating tags back to the released version given in version, and mark its Release latest), or plan (decide as auto does, then only print the version, tags, platforms and steps the run would take, what each makes visible and why a step is skipped; reads, changes nothing).",
  },
  "image": {
    default: undefined,
    description: "The image repository without tag or digest, for example ghcr.io/acme/app, or several, one per line (one build, released to each, as metadata-action's images). Names are lowercased (ghcr.io/Acme/App is released as ghcr.io/acme/app, with a notice). Empty, without components: ghcr.io/<owner>/<repo> of this repository in lowercase (containers.<host>/<owner>/<repo> on GitHub Enterprise Server).",
  },
  "components": {
    default: undefined,
    description: "Several images released together, all or nothing: a YAML list (inline, or the path of a .yml/.yaml file in the workspace) of entries with name and image, and optionally context, file, target, build-args, build-contexts, labels, annotations, no-cache, pull, network, add-hosts, shm-size, ulimit, platforms and the smoke-* settings (defaults: the inputs of the same names).",
  },
  "platforms": {
    default: "linux/amd64,linux/arm64",
    description: "Platforms to build, comma- or newline-separated, for example linux/amd64,linux/arm64,linux/arm/v7.",
  },
  "channel": {
    default: "auto",
    description: "auto (stable, unless the version is a prerelease), stable, or a prerelease channel name such as rc or beta. stable moves the latest tag; a prerelease channel moves its own tag.",
  },
  "version": {
    default: undefined,
    description: "The version to release, with or without a leading v (for example 1.4.0 or v2.0.0-rc.1). Empty: the pushed v* tag, else the next version after the repository's tags.",
  },
  "bump": {
    default: "auto",
    description: "auto (from the merged pull request's type:* label, else default-bump), patch, minor or major; used when the version is computed.",
  },
  "default-bump": {
    default: "patch",
    description: "The bump of a released commit that no pull request was merged as (a direct push): patch, minor, major, or none to skip such releases.",
  },
  "release-branches": {
    default: undefined,
    description: "Branches that release besides the default branch, as names or globs (one per line or comma-separated), for example release/* or 1.x. A branch whose name ends with a version line (1.x, 1.4.x, release/1.4) is a maintenance branch: it releases only that line and never moves latest or GitHub's Latest. Pushes to any other branch build only, push nothing and set skipped-reason. A pushed version tag always releases.",
  },
  "tag-prefix": {
    default: "v",
    description: "The prefix of version tags in git, and of the Release's tag (v gives v1.2.3).",
  },
  "initial-version": {
    default: "0.1.0",
    description: "The first version, when no version tag exists yet.",
  },
  "image-tag-prefix": {
    default: undefined,
    description: "A prefix for the image's version tags (v gives v1.2.3, v1.2, v1); latest and channel tags have none.",
  },
  "tags": {
    default: undefined,
    description: "Extra image tags, one per line, written with the version tag: a template such as sha-{{short}} (placeholders {{version}}, {{major}}, {{minor}}, {{patch}}, {{channel}}, {{sha}}, {{short}}), or a full reference <repository>:<tag> of one of the release's repositories, as metadata-action's tags output writes it. A version or latest given here is left out (with a notice): the release writes those itself, moving them only forward.",
  },
  "label-type-prefix": {
    default: "type:",
    description: "The prefix of the labels that give the bump on the merged pull request (type:patch, type:minor, type:major; type:docs and type:skip release nothing).",
  },
  "label-channel-prefix": {
    default: "channel:",
    description: "The prefix of the labels that give the channel on the merged pull request (channel:stable, channel:rc, …).",
  },
  "context": {
    default: ".",
    description: "The build context folder, relative to the workspace, or a git or HTTP URL.",
  },
  "file": {
    default: undefined,
    description: "The Dockerfile. Default <context>/Dockerfile.",
  },
  "target": {
    default: undefined,
    description: "The Dockerfile stage to build.",
  },
  "build-args": {
    default: undefined,
    description: "Build arguments, one NAME=value per line.",
  },
  "build-contexts": {
    default: undefined,
    description: "Additional build contexts, one name=source per line (buildx --build-context): a folder in the workspace, a git or HTTP URL, docker-image://<image> or oci-layout://<folder>[:tag].",
  },
  "labels": {
    default: undefined,
    description: "Image labels, one key=value per line, for example metadata-action's labels output. The release's own org.opencontainers.image.version, revision and created are kept; for any other key, yours wins.",
  },
  "annotations": {
    default: undefined,
    description: "OCI annotations, one [level:]key=value per line, for example metadata-action's annotations output; level is manifest (the default), index, manifest-descriptor or index-descriptor, several joined by commas. The release's own version, revision and created are kept; for any other key, yours wins.",
  },
  "secrets": {
    default: undefined,
    description: "Build secrets, one id=value per line (\"id=value\" in double quotes for a value over several lines), read in the Dockerfile with RUN --mount=type=secret,id=<id>. Masked; buildx gets them through its environment, never its command line or a file. For every image of the run (not a component field).",
  },
  "secret-files": {
    default: undefined,
    description: "Build secrets read from files, one id=path per line. For every image of the run.",
  },
  "secret-envs": {
    default: undefined,
    description: "Build secrets read from environment variables of the step, id=VARIABLE, comma- or newline-separated. For every image of the run.",
  },
  "ssh": {
    default: undefined,
    description: "SSH agent sockets or keys for RUN --mount=type=ssh, comma- or newline-separated: default ($SSH_AUTH_SOCK, for example from webfactory/ssh-agent) or id=path. For every image of the run.",
  },
  "no-cache": {
    default: "false",
    description: "true builds without the build cache (buildx --no-cache).",
  },
  "pull": {
    default: "false",
    description: "true pulls every base image again, even when cached (buildx --pull).",
  },
  "network": {
    default: undefined,
    description: "The network of RUN instructions: default, none or host (host needs a builder that allows the network.host entitlement). Empty: the builder's default.",
  },
  "add-hosts": {
    default: undefined,
    description: "Host-to-IP mappings for RUN instructions, host:ip, comma- or newline-separated, for example docker:10.180.0.1.",
  },
  "shm-size": {
    default: undefined,
    description: "The size of /dev/shm for RUN instructions, for example 2g.",
  },
  "ulimit": {
    default: undefined,
    description: "Resource limits for RUN instructions, one name=soft[:hard] per line, for example nofile=1024:1024.",
  },
  "smoke-run": {
    default: undefined,
    description: "Smoke commands, one per line; each line is the argument list given to the image (split like shell words, never run through a shell), for example --help. Each must exit 0 on every platform.",
  },
  "smoke-http": {
    default: undefined,
    description: "An HTTP health probe as PORT/PATH, for example 8080/health: the image is started detached with the port published on 127.0.0.1 and polled until it answers as expected.",
  },
  "smoke-http-expect": {
    default: undefined,
    description: "What the health probe must answer: empty for any 2xx, an exact body (after trimming), or /regex/.",
  },
  "smoke-env": {
    default: undefined,
    description: "Environment for the smoke containers, one KEY=value per line.",
  },
  "smoke-timeout": {
    default: "60",
    description: "Seconds per platform for its smoke tests, with per-platform overrides, for example 120,linux/arm64=300 (QEMU is slow).",
  },
  "release-assets": {
    default: undefined,
    description: "Files to attach to the GitHub Release, one glob per line, relative to the workspace. A SHA256SUMS file for them is added.",
  },
  "release-oci-archives": {
    default: "false",
    description: "true attaches, for each image, an OCI image layout archive of the promoted digest with every platform (docker load, skopeo and air-gapped registries read it), listed in SHA256SUMS.",
  },
  "release-notes": {
    default: undefined,
    description: "The Release body. Empty: GitHub's generated notes followed by an image section (pull command, digest, platforms, tags).",
  },
  "release-name": {
    default: undefined,
    description: "The Release's title, with the placeholders of tags, for example App {{version}}. Empty: the git tag (v1.2.3).",
  },
  "release-body-path": {
    default: undefined,
    description: "A file in the workspace whose text is the Release's notes (instead of release-notes), read when the draft is written. The body is cut, with a note, at GitHub's limit of 125,000 characters; the image section is kept whole.",
  },
  "release-draft": {
    default: "false",
    description: "true leaves the Release a draft for a person to review and publish; the images are still tested, promoted and tagged.",
  },
  "discussion-category": {
    default: undefined,
    description: "A discussion category of the repository, for example Announcements: publishing the Release opens a discussion of it there.",
  },
  "make-latest": {
    default: "auto",
    description: "auto (GitHub's Latest only for the highest stable version, from the history), true (this Release is Latest, even for a hotfix of an older line) or false (never Latest). GitHub makes no prerelease and no draft Latest. The latest image tag always follows the history.",
  },
  "provenance": {
    default: undefined,
    description: "Provenance attestation, passed to buildx --provenance: empty for buildx's default, false for registries and platforms that cannot handle attestation manifests (and for reproducible digests), true, mode=min or mode=max.",
  },
  "platform-digests": {
    default: undefined,
    description: "In the release job after build-platform jobs: their digest outputs, one per line (optionally linux/arm64=sha256:…). The release assembles one index from them instead of building, asserts it, and promotes it.",
  },
  "sbom": {
    default: undefined,
    description: "SBOM attestation, passed to buildx --sbom: empty for buildx's default, true, false, or generator=<image>.",
  },
  "cache": {
    default: "none",
    description: "none, registry (cache-from and cache-to on <image>:buildcache with mode=max; pull request builds only read it) or gha (the GitHub Actions cache).",
  },
  "registry-username": {
    default: undefined,
    description: "Log in to each image's registry with this user before building (logged out afterwards). Empty: use the credentials docker/login-action left.",
  },
  "registry-password": {
    default: undefined,
    description: "The password or token for registry-username (masked).",
  },
  "sign": {
    default: "none",
    description: "none, key (cosign with cosign-key) or keyless (cosign with GitHub's OIDC identity; needs permissions id-token: write). The promoted digests are signed and verified before any final tag and before the Release.",
  },
  "cosign-key": {
    default: undefined,
    description: "The cosign private key (the contents of cosign.key), from a secret.",
  },
  "cosign-password": {
    default: undefined,
    description: "The password of cosign-key, from a secret.",
  },
  "cosign-tlog-upload": {
    default: "true",
    description: "true uploads signatures to the Rekor transparency log (cosign's default); false for private infrastructure without one.",
  },
  "builder": {
    default: undefined,
    description: "The buildx builder to build with, for example the name output of docker/setup-buildx-action (docker-container, kubernetes or remote driver, a BuildKit fleet). Empty: the current builder. Every driver's candidate is pushed by digest: no tag is written before the final ones.",
  },
  "github-token": {
    default: "${{ github.token }}",
    description: "The token for the GitHub API (contents write for releases).",
  },
} as const

/** The name of an input action.yml declares. */
export type InputName = keyof typeof ACTION_INPUTS
