"""One report as data, then HTML, PDF, a diff between two snapshots, and charts."""
