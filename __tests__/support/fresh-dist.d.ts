/** Rebuilds dist/ (npm run package) when any file it is built from is newer. */
export default function freshDist(): void
