#!/bin/sh
# A console that only logs: it prints and never reads what is typed.
while true; do
  printf '[sensor] temperature=21.5C humidity=40%%\n'
  sleep 0.2
done
