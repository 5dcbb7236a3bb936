// JSON bodies exactly as GitHub renders them, typed by octokit's generated response types so the
// compiler already checks every required field before the OpenAPI validator does.
import { createHash } from 'node:crypto'
import type { RestEndpointMethodTypes } from '@octokit/rest'
import type { GitObjectType } from './git.js'
import type { Asset, Commit, Pull, Release, Repo, TagObject } from './state.js'

type Data<T extends { response: { data: unknown } }> = T['response']['data']
type Repos = RestEndpointMethodTypes['repos']
type Git = RestEndpointMethodTypes['git']

export type ReleaseJson = Data<Repos['getRelease']>
export type AssetJson = Data<Repos['getReleaseAsset']>
export type FullRepositoryJson = Data<Repos['get']>
export type CommitJson = Data<Repos['getCommit']>
export type PullJson = Data<Repos['listPullRequestsAssociatedWithCommit']>[number]
export type TagJson = Data<Repos['listTags']>[number]
export type RefJson = Data<Git['getRef']>
export type GitCommitJson = Data<Git['getCommit']>
export type GitTagJson = Data<Git['getTag']>
export type GitTreeJson = Data<Git['getTree']>
type UserJson = ReleaseJson['author']
type RepositoryJson = PullJson['base']['repo']

/** Where the stand-in lives, as GHES lays it out: web at the root, API and uploads under /api. */
export interface Urls {
  readonly server: string
  readonly api: string
  readonly uploads: string
}

export interface Actor {
  readonly login: string
  readonly id: number
  readonly type: 'User' | 'Bot'
}

const nodeId = (prefix: string, id: number | string): string =>
  `${prefix}_${Buffer.from(String(id)).toString('base64url')}`

const userId = (login: string): number => createHash('sha1').update(login).digest().readUInt32BE(0)

export function userJson(urls: Urls, actor: Actor): UserJson {
  // GitHub percent-encodes bot logins such as `github-actions[bot]` in its URLs.
  const api = `${urls.api}/users/${encodeURIComponent(actor.login)}`
  const html =
    actor.type === 'Bot'
      ? `${urls.server}/apps/${actor.login.replace(/\[bot\]$/, '')}`
      : `${urls.server}/${actor.login}`
  return {
    login: actor.login,
    id: actor.id,
    node_id: nodeId('U', actor.id),
    avatar_url: `${urls.server}/avatars/u/${actor.id}`,
    gravatar_id: '',
    url: api,
    html_url: html,
    followers_url: `${api}/followers`,
    following_url: `${api}/following{/other_user}`,
    gists_url: `${api}/gists{/gist_id}`,
    starred_url: `${api}/starred{/owner}{/repo}`,
    subscriptions_url: `${api}/subscriptions`,
    organizations_url: `${api}/orgs`,
    repos_url: `${api}/repos`,
    events_url: `${api}/events{/privacy}`,
    received_events_url: `${api}/received_events`,
    type: actor.type,
    site_admin: false,
    user_view_type: 'public',
  }
}

const userByLogin = (urls: Urls, login: string): UserJson =>
  userJson(urls, { login, id: userId(login), type: login.endsWith('[bot]') ? 'Bot' : 'User' })

/** The `repository` shape; `full` adds the fields only `GET /repos/{o}/{r}` carries. */
export function repositoryJson(
  urls: Urls,
  repo: Pick<
    Repo,
    'id' | 'owner' | 'name' | 'fullName' | 'defaultBranch' | 'visibility' | 'createdAt'
  > &
    Partial<Pick<Repo, 'discussionCategories'>>,
): FullRepositoryJson & RepositoryJson {
  const api = `${urls.api}/repos/${repo.fullName}`
  const html = `${urls.server}/${repo.fullName}`
  const host = new URL(urls.server).host
  return {
    id: repo.id,
    node_id: nodeId('R', repo.id),
    name: repo.name,
    full_name: repo.fullName,
    owner: userByLogin(urls, repo.owner),
    private: repo.visibility !== 'public',
    visibility: repo.visibility,
    html_url: html,
    description: null,
    fork: false,
    url: api,
    archive_url: `${api}/{archive_format}{/ref}`,
    assignees_url: `${api}/assignees{/user}`,
    blobs_url: `${api}/git/blobs{/sha}`,
    branches_url: `${api}/branches{/branch}`,
    collaborators_url: `${api}/collaborators{/collaborator}`,
    comments_url: `${api}/comments{/number}`,
    commits_url: `${api}/commits{/sha}`,
    compare_url: `${api}/compare/{base}...{head}`,
    contents_url: `${api}/contents/{+path}`,
    contributors_url: `${api}/contributors`,
    deployments_url: `${api}/deployments`,
    downloads_url: `${api}/downloads`,
    events_url: `${api}/events`,
    forks_url: `${api}/forks`,
    git_commits_url: `${api}/git/commits{/sha}`,
    git_refs_url: `${api}/git/refs{/sha}`,
    git_tags_url: `${api}/git/tags{/sha}`,
    git_url: `git://${host}/${repo.fullName}.git`,
    issue_comment_url: `${api}/issues/comments{/number}`,
    issue_events_url: `${api}/issues/events{/number}`,
    issues_url: `${api}/issues{/number}`,
    keys_url: `${api}/keys{/key_id}`,
    labels_url: `${api}/labels{/name}`,
    languages_url: `${api}/languages`,
    merges_url: `${api}/merges`,
    milestones_url: `${api}/milestones{/number}`,
    notifications_url: `${api}/notifications{?since,all,participating}`,
    pulls_url: `${api}/pulls{/number}`,
    releases_url: `${api}/releases{/id}`,
    ssh_url: `git@${host}:${repo.fullName}.git`,
    stargazers_url: `${api}/stargazers`,
    statuses_url: `${api}/statuses/{sha}`,
    subscribers_url: `${api}/subscribers`,
    subscription_url: `${api}/subscription`,
    tags_url: `${api}/tags`,
    teams_url: `${api}/teams`,
    trees_url: `${api}/git/trees{/sha}`,
    clone_url: `${html}.git`,
    mirror_url: null,
    hooks_url: `${api}/hooks`,
    svn_url: html,
    homepage: null,
    language: null,
    forks_count: 0,
    forks: 0,
    stargazers_count: 0,
    watchers_count: 0,
    watchers: 0,
    size: 0,
    default_branch: repo.defaultBranch,
    open_issues_count: 0,
    open_issues: 0,
    is_template: false,
    topics: [],
    has_issues: true,
    has_projects: true,
    has_wiki: true,
    has_pages: false,
    // eslint-disable-next-line @typescript-eslint/no-deprecated -- the `repository` schema still requires it
    has_downloads: true,
    has_discussions: (repo.discussionCategories?.length ?? 0) > 0,
    archived: false,
    disabled: false,
    pushed_at: repo.createdAt,
    created_at: repo.createdAt,
    updated_at: repo.createdAt,
    permissions: { admin: false, maintain: false, push: true, triage: true, pull: true },
    allow_forking: true,
    web_commit_signoff_required: false,
    license: null,
    network_count: 0,
    subscribers_count: 0,
  }
}

/** A repository the stand-in only knows by name, such as a fork a pull request came from. */
function foreignRepositoryJson(urls: Urls, fullName: string): RepositoryJson {
  const [owner = fullName, name = fullName] = fullName.split('/')
  return repositoryJson(urls, {
    id: userId(fullName),
    owner,
    name,
    fullName,
    defaultBranch: 'main',
    visibility: 'public',
    createdAt: '2020-01-01T00:00:00Z',
  })
}

const UNSIGNED = {
  verified: false,
  reason: 'unsigned',
  payload: null,
  signature: null,
  verified_at: null,
} as const

export function commitJson(urls: Urls, repo: Repo, commit: Commit): CommitJson {
  const api = `${urls.api}/repos/${repo.fullName}`
  const html = `${urls.server}/${repo.fullName}`
  return {
    sha: commit.sha,
    node_id: nodeId('C', commit.sha),
    url: `${api}/commits/${commit.sha}`,
    html_url: `${html}/commit/${commit.sha}`,
    comments_url: `${api}/commits/${commit.sha}/comments`,
    commit: {
      url: `${api}/git/commits/${commit.sha}`,
      author: { ...commit.author, date: commit.authorDate },
      committer: { ...commit.committer, date: commit.date },
      message: commit.message,
      comment_count: 0,
      tree: { sha: commit.tree, url: `${api}/git/trees/${commit.tree}` },
      verification: UNSIGNED,
    },
    author: null,
    committer: null,
    parents: commit.parents.map((sha) => ({
      sha,
      url: `${api}/commits/${sha}`,
      html_url: `${html}/commit/${sha}`,
    })),
    stats: { additions: 0, deletions: 0, total: 0 },
    files: [],
  }
}

/** The Git database's view of a commit (`GET /git/commits/{sha}`). */
export function gitCommitJson(urls: Urls, repo: Repo, commit: Commit): GitCommitJson {
  const api = `${urls.api}/repos/${repo.fullName}`
  const html = `${urls.server}/${repo.fullName}`
  return {
    sha: commit.sha,
    node_id: nodeId('C', commit.sha),
    url: `${api}/git/commits/${commit.sha}`,
    html_url: `${html}/commit/${commit.sha}`,
    author: { ...commit.author, date: commit.authorDate },
    committer: { ...commit.committer, date: commit.date },
    message: commit.message,
    tree: { sha: commit.tree, url: `${api}/git/trees/${commit.tree}` },
    parents: commit.parents.map((sha) => ({
      sha,
      url: `${api}/git/commits/${sha}`,
      html_url: `${html}/commit/${sha}`,
    })),
    verification: UNSIGNED,
  }
}

/** Where the API serves an object of each type. */
function objectUrl(urls: Urls, repo: Repo, type: GitObjectType, sha: string): string {
  const kind = { commit: 'commits', tag: 'tags', tree: 'trees' }[type]
  return `${urls.api}/repos/${repo.fullName}/git/${kind}/${sha}`
}

export function tagObjectJson(urls: Urls, repo: Repo, tag: TagObject): GitTagJson {
  return {
    node_id: nodeId('TAG', tag.sha),
    tag: tag.tag,
    sha: tag.sha,
    url: objectUrl(urls, repo, 'tag', tag.sha),
    message: tag.message,
    tagger: tag.tagger,
    object: { sha: tag.object, type: tag.type, url: objectUrl(urls, repo, tag.type, tag.object) },
    verification: UNSIGNED,
  }
}

/** Trees hold no entries in the stand-in: it keeps no file contents. */
export function treeJson(urls: Urls, repo: Repo, sha: string): GitTreeJson {
  return { sha, url: objectUrl(urls, repo, 'tree', sha), tree: [], truncated: false }
}

export function pullJson(urls: Urls, repo: Repo, pull: Pull): PullJson {
  const api = `${urls.api}/repos/${repo.fullName}`
  const html = `${urls.server}/${repo.fullName}/pull/${pull.number}`
  const id = repo.id * 10_000 + pull.number
  const user = userByLogin(urls, pull.user)
  const headOwner = pull.headRepo.split('/')[0] ?? repo.owner
  const link = (href: string) => ({ href })
  return {
    url: `${api}/pulls/${pull.number}`,
    id,
    node_id: nodeId('PR', id),
    html_url: html,
    diff_url: `${html}.diff`,
    patch_url: `${html}.patch`,
    issue_url: `${api}/issues/${pull.number}`,
    commits_url: `${api}/pulls/${pull.number}/commits`,
    review_comments_url: `${api}/pulls/${pull.number}/comments`,
    review_comment_url: `${api}/pulls/comments{/number}`,
    comments_url: `${api}/issues/${pull.number}/comments`,
    statuses_url: `${api}/statuses/${pull.commits.at(-1) ?? ''}`,
    number: pull.number,
    state: pull.state,
    locked: false,
    title: pull.title,
    user,
    body: pull.body,
    labels: pull.labels.map((name) => ({
      id: userId(`label:${name}`),
      node_id: nodeId('LA', name),
      url: `${api}/labels/${encodeURIComponent(name)}`,
      name,
      description: '',
      color: 'ededed',
      default: false,
    })),
    milestone: null,
    active_lock_reason: null,
    created_at: pull.createdAt,
    updated_at: pull.mergedAt ?? pull.createdAt,
    closed_at: pull.state === 'closed' ? (pull.mergedAt ?? pull.createdAt) : null,
    merged_at: pull.mergedAt,
    merge_commit_sha: pull.mergeCommitSha,
    assignee: null,
    assignees: [],
    requested_reviewers: [],
    requested_teams: [],
    head: {
      label: `${headOwner}:${pull.headRef}`,
      ref: pull.headRef,
      repo:
        pull.headRepo === repo.fullName
          ? repositoryJson(urls, repo)
          : foreignRepositoryJson(urls, pull.headRepo),
      sha: pull.commits.at(-1) ?? '',
      user: userByLogin(urls, headOwner),
    },
    base: {
      label: `${repo.owner}:${pull.base}`,
      ref: pull.base,
      repo: repositoryJson(urls, repo),
      sha: repo.refs.get(`refs/heads/${pull.base}`) ?? '',
      user: userByLogin(urls, repo.owner),
    },
    _links: {
      self: link(`${api}/pulls/${pull.number}`),
      html: link(html),
      issue: link(`${api}/issues/${pull.number}`),
      comments: link(`${api}/issues/${pull.number}/comments`),
      review_comments: link(`${api}/pulls/${pull.number}/comments`),
      review_comment: link(`${api}/pulls/comments{/number}`),
      commits: link(`${api}/pulls/${pull.number}/commits`),
      statuses: link(`${api}/statuses/${pull.commits.at(-1) ?? ''}`),
    },
    author_association: headOwner === repo.owner ? 'MEMBER' : 'CONTRIBUTOR',
    auto_merge: null,
    draft: false,
  }
}

export function tagJson(urls: Urls, repo: Repo, name: string, sha: string): TagJson {
  const api = `${urls.api}/repos/${repo.fullName}`
  return {
    name,
    commit: { sha, url: `${api}/commits/${sha}` },
    zipball_url: `${api}/zipball/refs/tags/${name}`,
    tarball_url: `${api}/tarball/refs/tags/${name}`,
    node_id: nodeId('REF', `${repo.fullName}:refs/tags/${name}`),
  }
}

/** A ref and the object it points at: a commit, or for an annotated tag the tag object. */
export function refJson(
  urls: Urls,
  repo: Repo,
  ref: string,
  sha: string,
  type: GitObjectType,
): RefJson {
  return {
    ref,
    node_id: nodeId('REF', `${repo.fullName}:${ref}`),
    url: `${urls.api}/repos/${repo.fullName}/git/${ref}`,
    object: { type, sha, url: objectUrl(urls, repo, type, sha) },
  }
}

/** Drafts have no tag yet, so GitHub names them `untagged-…` in their web URLs. */
export function releaseWebTag(release: Release): string {
  return release.draft ? release.untagged : release.tagName
}

export function downloadUrl(urls: Urls, asset: Asset): string {
  const release = asset.release
  return `${urls.server}/${release.repo.fullName}/releases/download/${releaseWebTag(release)}/${encodeURIComponent(asset.name)}`
}

export function assetJson(urls: Urls, actor: Actor, asset: Asset): AssetJson {
  return {
    url: `${urls.api}/repos/${asset.release.repo.fullName}/releases/assets/${asset.id}`,
    browser_download_url: downloadUrl(urls, asset),
    id: asset.id,
    node_id: nodeId('RA', asset.id),
    name: asset.name,
    label: asset.label,
    // `starter` is undocumented in the schema's enum but is what GitHub reports for it.
    state: asset.state as AssetJson['state'],
    content_type: asset.contentType,
    size: asset.bytes.length,
    digest: `sha256:${createHash('sha256').update(asset.bytes).digest('hex')}`,
    download_count: asset.downloadCount,
    created_at: asset.createdAt,
    updated_at: asset.updatedAt,
    uploader: userJson(urls, actor),
  }
}

export function releaseJson(urls: Urls, actor: Actor, release: Release): ReleaseJson {
  const repo = release.repo
  const api = `${urls.api}/repos/${repo.fullName}/releases/${release.id}`
  const archive = (kind: string) =>
    release.draft ? null : `${urls.api}/repos/${repo.fullName}/${kind}/${release.tagName}`
  return {
    url: api,
    assets_url: `${api}/assets`,
    upload_url: `${urls.uploads}/repos/${repo.fullName}/releases/${release.id}/assets{?name,label}`,
    html_url: `${urls.server}/${repo.fullName}/releases/tag/${releaseWebTag(release)}`,
    id: release.id,
    author: userJson(urls, actor),
    node_id: nodeId('RE', release.id),
    tag_name: release.tagName,
    target_commitish: release.targetCommitish,
    name: release.name,
    draft: release.draft,
    immutable: release.immutable,
    prerelease: release.prerelease,
    created_at: release.createdAt,
    updated_at: release.updatedAt,
    published_at: release.publishedAt,
    assets: release.assets.map((a) => assetJson(urls, actor, a)),
    tarball_url: archive('tarball'),
    zipball_url: archive('zipball'),
    body: release.body,
    ...(release.discussionUrl !== null && { discussion_url: release.discussionUrl }),
  }
}
