"""A pipeline as a native Glue blueprint: `gluekit blueprint export PIPELINE -o DIR`.

`export` writes the archive, `layout.py` is the layout Glue runs (shipped as is), `standin`
gives `awsglue.blueprint`'s documented classes to check a layout without Glue.
"""
