"""SHACL validation of a unit of data: rudof first, pySHACL for the report."""
