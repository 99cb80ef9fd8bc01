"""The stakeholder pages: workspace, sections, submit, invitations, downloads."""
