"""The statistics, in plain numpy and scipy: no Flask, no database.

``allocation`` spreads a wave's invitations over strata and draws the members;
``weighting`` rakes and post-stratifies respondents to the population, after
``feasibility`` has checked that bounded margins can be met; ``calibration`` is the one
projection of the influence values that every weighting's standard errors use (per
respondent in the library, per weighting cell on the results pages); ``estimation`` gives
means, shares and their standard errors as R's ``survey`` package does, ``intervals`` the
shares' intervals (svyciprop) and ``quantiles`` medians (svyquantile); ``cells`` does the
same from sums per weighting cell; ``change`` tests a change between waves with the
covariance of members in both; ``suppression`` decides which groups may be shown;
``lottery`` draws focus groups by a fair lottery (MAXIMIN/LEXIMIN over quota-respecting
panels). ``columns`` turns columns of values into integer codes, and ``sums`` adds values
up per code.
"""
