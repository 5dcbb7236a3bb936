#!/usr/bin/env node
import './sourcemap-register.cjs';import { createRequire as __WEBPACK_EXTERNAL_createRequire } from "module";
/******/ // The require scope
/******/ var __nccwpck_require__ = {};
/******/ 
/************************************************************************/
/******/ /* webpack/runtime/compat get default export */
/******/ (() => {
/******/ 	// getDefaultExport function for compatibility with non-harmony modules
/******/ 	__nccwpck_require__.n = (module) => {
/******/ 		var getter = module && module.__esModule ?
/******/ 			() => (module['default']) :
/******/ 			() => (module);
/******/ 		__nccwpck_require__.d(getter, { a: getter });
/******/ 		return getter;
/******/ 	};
/******/ })();
/******/ 
/******/ /* webpack/runtime/define property getters */
/******/ (() => {
/******/ 	// define getter functions for harmony exports
/******/ 	__nccwpck_require__.d = (exports, definition) => {
/******/ 		for(var key in definition) {
/******/ 			if(__nccwpck_require__.o(definition, key) && !__nccwpck_require__.o(exports, key)) {
/******/ 				Object.defineProperty(exports, key, { enumerable: true, get: definition[key] });
/******/ 			}
/******/ 		}
/******/ 	};
/******/ })();
/******/ 
/******/ /* webpack/runtime/hasOwnProperty shorthand */
/******/ (() => {
/******/ 	__nccwpck_require__.o = (obj, prop) => (Object.prototype.hasOwnProperty.call(obj, prop))
/******/ })();
/******/ 
/************************************************************************/
var __webpack_exports__ = {};

;// CONCATENATED MODULE: external "node:child_process"
const external_node_child_process_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:child_process");
;// CONCATENATED MODULE: external "node:fs"
const external_node_fs_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:fs");
;// CONCATENATED MODULE: external "node:os"
const external_node_os_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:os");
;// CONCATENATED MODULE: external "node:path"
const external_node_path_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:path");
;// CONCATENATED MODULE: external "node:process"
const external_node_process_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:process");
var external_node_process_default = /*#__PURE__*/__nccwpck_require__.n(external_node_process_namespaceObject);
;// CONCATENATED MODULE: external "node:readline"
const external_node_readline_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:readline");
;// CONCATENATED MODULE: external "node:url"
const external_node_url_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:url");
;// CONCATENATED MODULE: ./src/model/action-inputs.generated.ts
// Generated from action.yml by `npm run docs` (scripts/action-inputs.ts): do not edit.
/** action.yml's inputs, in its order: the default the runner passes, and the description. */
const ACTION_INPUTS = {
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
};

;// CONCATENATED MODULE: ./src/model/input-env.ts

/** The variable the runner passes an input in, as @actions/core reads it: INPUT_SMOKE-RUN. */
function inputVariable(name) {
    return `INPUT_${name.replace(/ /g, '_').toUpperCase()}`;
}
/** The default of an input, as action.yml declares it; undefined for none or an expression. */
function declaredDefault(name) {
    const value = ACTION_INPUTS[name].default;
    return value?.includes('${{') ? undefined : value;
}
/** Defaults, as action.yml declares them (an expression such as ${{ github.token }} is the runner's). */
const INPUT_DEFAULTS = Object.fromEntries(Object.keys(ACTION_INPUTS).flatMap((name) => {
    const value = declaredDefault(name);
    return value === undefined ? [] : [[name, value]];
}));
function envInputReader(env) {
    // The runner passes the action.yml default when an input is not given; an empty value stays empty.
    return (name) => env[inputVariable(name)] ?? INPUT_DEFAULTS[name] ?? '';
}
/** action.yml's inputs, in its order. */
const ACTION_INPUT_LIST = Object.entries(ACTION_INPUTS).map(([name, input]) => ({ name, description: input.description, default: input.default }));

;// CONCATENATED MODULE: external "node:util"
const external_node_util_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:util");
;// CONCATENATED MODULE: ./src/model/run-env.ts

/** owner/name, as GITHUB_REPOSITORY and the command line give a repository. */
const REPOSITORY = /^[A-Za-z0-9-]+\/[A-Za-z0-9._-]+$/;
const ACCEPTED_REPOSITORY = 'GITHUB_REPOSITORY must be owner/name, as the runner sets it';
/** Reads the runner's GITHUB_* variables and the event payload file. */
function readRunEnvironment(env) {
    const repository = env.GITHUB_REPOSITORY ?? '';
    if (repository !== '' && !REPOSITORY.test(repository)) {
        throw new Error(`GITHUB_REPOSITORY ${JSON.stringify(repository.slice(0, 100))} is not owner/name`);
    }
    const [owner = '', repo = ''] = repository.split('/');
    let payload = {};
    const eventPath = env.GITHUB_EVENT_PATH;
    if (eventPath !== undefined && eventPath !== '') {
        try {
            payload = JSON.parse(readFileSync(eventPath, 'utf8'));
        }
        catch (error) {
            throw new Error(`GITHUB_EVENT_PATH ${eventPath} could not be read as JSON (${error instanceof Error ? error.message : String(error)})`);
        }
    }
    return {
        eventName: env.GITHUB_EVENT_NAME ?? '',
        sha: env.GITHUB_SHA ?? '',
        ref: env.GITHUB_REF ?? '',
        owner,
        repo,
        runId: env.GITHUB_RUN_ID ?? '0',
        runAttempt: env.GITHUB_RUN_ATTEMPT ?? '1',
        serverUrl: (env.GITHUB_SERVER_URL ?? 'https://github.com').replace(/\/+$/, ''),
        apiUrl: (env.GITHUB_API_URL ?? 'https://api.github.com').replace(/\/+$/, ''),
        workspace: env.GITHUB_WORKSPACE ?? process.cwd(),
        payload,
        tempDir: env.RUNNER_TEMP ?? '',
        toolCache: env.RUNNER_TOOL_CACHE ?? '',
        // Only the project's own tests shorten it, to exercise retries without waiting.
        backoffMs: Number(env.MULTIARCH_RELEASE_BACKOFF_MS ?? '') || 1000,
        oidc: (env.ACTIONS_ID_TOKEN_REQUEST_URL ?? '') !== '' &&
            (env.ACTIONS_ID_TOKEN_REQUEST_TOKEN ?? '') !== '',
        // Only the project's own tests shorten them, to force expiries without waiting minutes.
        leaseTtlMs: Number(env.MULTIARCH_RELEASE_LEASE_TTL_MS ?? '') || 120_000,
        leaseWaitMs: Number(env.MULTIARCH_RELEASE_LEASE_WAIT_MS ?? '') || 900_000,
    };
}

;// CONCATENATED MODULE: ./src/cli/plan-args.ts
// The command line of `multiarch-release plan`, as pure functions: flags in, the runner's
// INPUT_* and GITHUB_* variables out.





const DEFAULT_API_URL = 'https://api.github.com';
/** The flags that describe the run, as the runner's GITHUB_* variables would. */
const RUN_FLAGS = [
    ['event-name', '<name>', 'the event that triggered the run (default: push)'],
    ['event-path', '<file>', 'its payload as JSON, e.g. a workflow_run or pull_request event'],
    ['repository', '<owner/repo>', "(default: $GITHUB_REPOSITORY, else the origin remote's)"],
    ['sha', '<commit>', "the event's commit (default: the workspace's HEAD)"],
    ['ref', '<ref>', "e.g. refs/tags/v1.2.3 (default: the workspace's branch)"],
    ['api-url', '<url>', `the GitHub API (default: ${DEFAULT_API_URL})`],
    ['token', '<token>', 'the GitHub token, as --github-token (default: $GITHUB_TOKEN)'],
    ['workspace', '<dir>', 'the checkout to plan (default: the current folder)'],
];
/** The first sentence of a description, for the help. */
const firstSentence = (text) => text.split(/(?<=\.)\s/)[0] ?? text;
/** The help: usage, the run's flags and every input of action.yml. */
function helpText(inputs) {
    const width = Math.max(...[...RUN_FLAGS.map(([f, v]) => `${f} ${v}`), ...inputs.map((i) => `${i.name} <value>`)].map((s) => s.length)) + 4;
    // Descriptions wrap at 100 columns, under their own column; a default is never split.
    const row = (flag, text, fallback = '') => {
        const lines = [''];
        for (const word of [...text.split(/\s+/), ...(fallback ? [`(default: ${fallback})`] : [])]) {
            const last = lines.length - 1;
            const line = lines[last] ?? '';
            if (line !== '' && width + 4 + line.length + word.length >= 100)
                lines.push(word);
            else
                lines[last] = line === '' ? word : `${line} ${word}`;
        }
        return `  --${flag.padEnd(width)}${lines.join(`\n${' '.repeat(width + 4)}`)}`;
    };
    return [
        'Usage: multiarch-release plan [flags]',
        '',
        'Prints what a release would do, without doing it: the version, the tags and platforms of',
        'each image, every step in order with why it runs or is skipped, and what becomes visible',
        'when. It reads GitHub, the registry and git as the release would; it changes nothing.',
        '',
        'The run, as the GitHub runner would describe it:',
        ...RUN_FLAGS.map(([flag, value, text]) => row(`${flag} ${value}`, text)),
        row('json', 'print the plan output (JSON) on stdout, and the log on stderr'),
        row('help', 'show this help'),
        '',
        "The action's inputs (action.yml); repeat a flag to give a multi-line input several lines:",
        ...inputs
            .filter((i) => i.name !== 'mode')
            .map((i) => row(`${i.name} <value>`, firstSentence(i.description), i.default !== undefined && !i.default.includes('${{') ? i.default : '')),
        row('mode plan', 'the only mode a command line runs'),
        '',
    ].join('\n');
}
/** The repository of a git remote URL, such as git@github.com:acme/app.git. */
function repositoryOfRemote(url) {
    const repository = /[:/]([^/:]+\/[^/]+?)(?:\.git)?\/?$/.exec(url ?? '')?.[1];
    return repository !== undefined && REPOSITORY.test(repository) ? repository : undefined;
}
/** Parses `plan` and its flags into the variables the runner would set for the action. */
function parsePlanArgs(argv, inputs, context) {
    const options = { json: { type: 'boolean' }, help: { type: 'boolean' } };
    for (const [flag] of RUN_FLAGS)
        options[flag] = { type: 'string' };
    for (const input of inputs)
        options[input.name] = { type: 'string', multiple: true };
    // A first pass names every unknown flag at once, before parseArgs stops at the first.
    const { tokens } = (0,external_node_util_namespaceObject.parseArgs)({
        args: [...argv],
        options,
        strict: false,
        allowPositionals: true,
        tokens: true,
    });
    if (tokens.some((t) => t.kind === 'option' && t.name === 'help'))
        return { kind: 'help', text: helpText(inputs) };
    const unknown = [
        ...new Set(tokens.flatMap((t) => (t.kind === 'option' && !(t.name in options) ? [t.rawName] : []))),
    ];
    if (unknown.length > 0) {
        return {
            kind: 'error',
            message: `unknown flag${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}; valid flags: ${Object.keys(options)
                .map((f) => `--${f}`)
                .join(', ')}`,
        };
    }
    let parsed;
    try {
        parsed = (0,external_node_util_namespaceObject.parseArgs)({ args: [...argv], options, strict: true, allowPositionals: true });
    }
    catch (error) {
        // A flag without its value, or a value given to --json or --help. Read the message without
        // instanceof: under a test runner's VM context, Node's own errors come from another realm.
        const message = error !== null && typeof error === 'object' && 'message' in error
            ? String(error.message)
            : String(error);
        return { kind: 'error', message };
    }
    const { values, positionals } = parsed;
    if (positionals.length !== 1 || positionals[0] !== 'plan') {
        return {
            kind: 'error',
            message: `expected the command plan, got ${positionals.length === 0 ? 'none' : positionals.join(' ')}`,
        };
    }
    const one = (name) => {
        const value = values[name];
        return typeof value === 'string' ? value : undefined;
    };
    const lines = (name) => {
        const value = values[name];
        return Array.isArray(value) ? value.join('\n') : undefined;
    };
    const mode = lines('mode');
    if (mode !== undefined && mode !== 'plan') {
        return {
            kind: 'error',
            message: `--mode ${mode}: the command line only plans (mode plan); run the action in a workflow to build or release`,
        };
    }
    if (lines('github-token') !== undefined && one('token') !== undefined)
        return { kind: 'error', message: 'give the token once: --token or --github-token, not both' };
    const workspace = (0,external_node_path_namespaceObject.resolve)(context.cwd, one('workspace') ?? '.');
    const repository = one('repository') ??
        context.env.GITHUB_REPOSITORY ??
        repositoryOfRemote(context.git(workspace, ['remote', 'get-url', 'origin']));
    if (repository === undefined || !REPOSITORY.test(repository)) {
        return {
            kind: 'error',
            message: repository === undefined
                ? '--repository owner/repo is needed: there is no GITHUB_REPOSITORY and no origin remote to read it from'
                : `--repository ${repository}: give it as owner/repo`,
        };
    }
    const env = {};
    for (const input of inputs) {
        const value = lines(input.name);
        if (value !== undefined)
            env[inputVariable(input.name)] = value;
    }
    env[inputVariable('mode')] = 'plan';
    const token = lines('github-token') ?? one('token') ?? context.env.GITHUB_TOKEN;
    if (token !== undefined)
        env[inputVariable('github-token')] = token;
    const eventPath = one('event-path');
    Object.assign(env, {
        GITHUB_EVENT_NAME: one('event-name') ?? 'push',
        GITHUB_REPOSITORY: repository,
        GITHUB_REPOSITORY_OWNER: repository.split('/')[0] ?? '',
        GITHUB_SHA: one('sha') ?? context.git(workspace, ['rev-parse', 'HEAD']) ?? '',
        GITHUB_REF: one('ref') ?? context.git(workspace, ['symbolic-ref', '-q', 'HEAD']) ?? '',
        GITHUB_API_URL: one('api-url') ?? DEFAULT_API_URL,
        GITHUB_WORKSPACE: workspace,
        ...(eventPath !== undefined ? { GITHUB_EVENT_PATH: (0,external_node_path_namespaceObject.resolve)(context.cwd, eventPath) } : {}),
    });
    return { kind: 'plan', env, workspace, json: values.json === true };
}
/**
 * The child's environment: the caller's, without anything a runner set for another step
 * (INPUT_*, GITHUB_*, RUNNER_*, ACTIONS_*), plus the plan's variables.
 */
function childEnvironment(parent, plan) {
    const env = {};
    for (const [name, value] of Object.entries(parent)) {
        if (value !== undefined && !/^(INPUT|GITHUB|RUNNER|ACTIONS)_/.test(name))
            env[name] = value;
    }
    return { ...env, ...plan };
}
/** Decodes a workflow command's message (%0A, %0D, %25). */
const decode = (text) => text.replace(/%0A/gi, '\n').replace(/%0D/gi, '\r').replace(/%25/g, '%');
/**
 * A line of the action's output as a terminal shows it: workflow commands (::group::,
 * ::error::, ::add-mask::) become plain text or disappear.
 */
function terminalLine(line) {
    const match = /^::([a-z-]+)(?: [^:]*)?::(.*)$/.exec(line);
    if (!match)
        return line;
    const [, command, message = ''] = match;
    switch (command) {
        case 'error':
        case 'warning':
        case 'notice':
            return `${command}: ${decode(message)}`;
        case 'group':
            return decode(message);
        default:
            // endgroup, add-mask, debug, set-output, save-state, …
            return undefined;
    }
}
/** The outputs the action wrote to its GITHUB_OUTPUT file (name<<delimiter, lines, delimiter). */
function parseOutputFile(text) {
    const outputs = {};
    const all = text.split('\n');
    for (let i = 0; i < all.length; i++) {
        const match = /^([^<=]+)<<(.+)$/.exec(all[i] ?? '');
        if (!match)
            continue;
        const [, name = '', delimiter] = match;
        const value = [];
        for (i++; i < all.length && all[i] !== delimiter; i++)
            value.push(all[i] ?? '');
        outputs[name] = value.join('\n');
    }
    return outputs;
}

;// CONCATENATED MODULE: ./src/cli/index.ts
// `multiarch-release plan --image … --platforms …`: runs the bundled action (dist/index.js) as
// the runner would, with mode plan, and prints its plan. It never builds, pushes or publishes.









/** The action's bundle, next to this one: dist/cli/index.js runs dist/index.js. */
const ACTION = (0,external_node_path_namespaceObject.join)((0,external_node_path_namespaceObject.dirname)((0,external_node_url_namespaceObject.fileURLToPath)(import.meta.url)), '..', 'index.js');
const git = (dir, args) => {
    try {
        const out = (0,external_node_child_process_namespaceObject.execFileSync)('git', ['-C', dir, ...args], {
            encoding: 'utf8',
            stdio: ['ignore', 'pipe', 'ignore'],
        }).trim();
        return out === '' ? undefined : out;
    }
    catch {
        return undefined;
    }
};
const args = parsePlanArgs(external_node_process_default().argv.slice(2), ACTION_INPUT_LIST, {
    cwd: external_node_process_default().cwd(),
    env: (external_node_process_default()).env,
    git,
});
if (args.kind === 'help') {
    external_node_process_default().stdout.write(args.text);
}
else if (args.kind === 'error') {
    external_node_process_default().stderr.write(`multiarch-release: ${args.message}\nSee: multiarch-release --help\n`);
    (external_node_process_default()).exitCode = 2;
}
else {
    const dir = (0,external_node_fs_namespaceObject.mkdtempSync)((0,external_node_path_namespaceObject.join)((0,external_node_os_namespaceObject.tmpdir)(), 'multiarch-release-plan-'));
    const outputFile = (0,external_node_path_namespaceObject.join)(dir, 'output');
    (0,external_node_fs_namespaceObject.writeFileSync)(outputFile, '');
    const child = (0,external_node_child_process_namespaceObject.spawn)((external_node_process_default()).execPath, [ACTION], {
        cwd: args.workspace,
        env: childEnvironment((external_node_process_default()).env, {
            ...args.env,
            GITHUB_OUTPUT: outputFile,
            RUNNER_TEMP: dir,
        }),
        stdio: ['ignore', 'pipe', 'inherit'],
    });
    // With --json, stdout carries only the plan; the log goes to stderr.
    const log = args.json ? (external_node_process_default()).stderr : (external_node_process_default()).stdout;
    (0,external_node_readline_namespaceObject.createInterface)({ input: child.stdout }).on('line', (line) => {
        const shown = terminalLine(line);
        if (shown !== undefined)
            log.write(`${shown}\n`);
    });
    child.on('close', (code, signal) => {
        if (args.json) {
            const plan = parseOutputFile((0,external_node_fs_namespaceObject.readFileSync)(outputFile, 'utf8')).plan ?? '';
            if (plan !== '')
                external_node_process_default().stdout.write(`${JSON.stringify(JSON.parse(plan), null, 2)}\n`);
        }
        (0,external_node_fs_namespaceObject.rmSync)(dir, { recursive: true, force: true });
        (external_node_process_default()).exitCode = code ?? (signal ? 130 : 1);
    });
}


//# sourceMappingURL=index.js.map