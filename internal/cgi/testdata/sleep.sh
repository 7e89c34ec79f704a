#!/bin/sh
# Silent forever, with a background child in its process group; records
# both pids in its working directory.
sleep 100 &
echo "$$ $!" > pids
wait
