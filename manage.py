#!/usr/bin/env python
from jiceng.manage import main

if __name__ == "__main__":
    main()
