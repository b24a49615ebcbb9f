from opengram.cli import app

app()
