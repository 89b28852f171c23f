"""Small demo media and the script that made them (this file makes the folder installable as ``clipkit.samples``)."""
