"""The statistics, in plain numpy: no Flask, no database.

``allocation`` spreads a wave's invitations over strata and draws the members;
``weighting`` rakes and post-stratifies respondents to the population (``calibration``
holds the one calibration implementation both use); ``estimation`` gives means, shares
and their standard errors as R's ``survey`` package does; ``cells`` does the same from
sums per weighting cell; ``suppression`` hides small groups; ``lottery`` draws focus groups
by a fair lottery (MAXIMIN/LEXIMIN over quota-respecting panels). ``columns`` turns columns of
values into integer codes, and ``sums`` adds values up per code.
"""
