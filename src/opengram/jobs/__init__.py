"""Asynchronous pre-recorded jobs (`callback=`): durable queue, worker, and callback delivery."""
